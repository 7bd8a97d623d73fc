// Independent check of a liveledger log with code we did not write:
// Go's golang.org/x/mod/sumdb/note (signed notes) and sumdb/tlog (RFC 6962
// trees, tiles, proofs), as packaged by Debian (golang-golang-x-mod-dev).
//
// Usage: go run check.go LOGDIR VKEY [prove-bundle.json | consistency.json ...]
//
// It checks the signed checkpoint; reads every hash tile through
// tlog.TileHashReader (which authenticates each tile against the signed
// root); recomputes every leaf hash from the entry bundles; checks every
// historic checkpoint with a consistency proof; and checks the inclusion
// bundles and consistency proofs liveledger wrote. Exit 1 on any divergence.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// C2SP path of a tile: tile/<L>/<N>[.p/<W>], N as x001/x234/067.
func tilePath(level string, n int64, w int) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n /= 1000; n > 0; n /= 1000 {
		s = fmt.Sprintf("x%03d/", n%1000) + s
	}
	p := "tile/" + level + "/" + s
	if w != 256 {
		p += ".p/" + strconv.Itoa(w)
	}
	return p
}

type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }
func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := os.ReadFile(filepath.Join(d.dir, tilePath(strconv.Itoa(t.L), t.N, t.W)))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
func (d dirTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func openCheckpoint(msg []byte, v note.Verifier) checkpoint {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		fail("checkpoint has %d lines", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("checkpoint root %q", lines[2])
	}
	var h tlog.Hash
	copy(h[:], root)
	return checkpoint{lines[0], size, h}
}

func decodeHashes(list []string) []tlog.Hash {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			if b2, err2 := hexDecode(s); err2 == nil {
				b = b2
			} else {
				fail("proof hash %q", s)
			}
		}
		copy(out[i][:], b)
	}
	return out
}

func hexDecode(s string) ([]byte, error) {
	if len(s) != 64 {
		return nil, fmt.Errorf("not hex")
	}
	b := make([]byte, 32)
	_, err := fmt.Sscanf(s, "%64x", &b)
	return b, err
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: check LOGDIR VKEY [files...]")
	}
	dir, vkey := os.Args[1], strings.TrimSpace(os.Args[2])
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fail("vkey: %v", err)
	}
	msg, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		fail("%v", err)
	}
	cp := openCheckpoint(msg, v)
	tree := tlog.Tree{N: cp.size, Hash: cp.root}
	hr := tlog.TileHashReader(tree, dirTiles{dir})
	th, err := tlog.TreeHash(cp.size, hr)
	if err != nil || th != cp.root {
		fail("tree hash: %v (%v vs %v)", err, th, cp.root)
	}

	// Every entry hashes to the leaf hash in the (authenticated) tiles.
	checked := 0
	for b := int64(0); b*256 < cp.size; b++ {
		w := 256
		if rest := cp.size - b*256; rest < 256 {
			w = int(rest)
		}
		data, err := os.ReadFile(filepath.Join(dir, tilePath("entries", b, w)))
		if err != nil {
			fail("%v", err)
		}
		idx := make([]int64, 0, w)
		var leaves []tlog.Hash
		for pos := 0; pos < len(data); {
			n := int(binary.BigEndian.Uint16(data[pos:]))
			leaves = append(leaves, tlog.RecordHash(data[pos+2:pos+2+n]))
			pos += 2 + n
		}
		if len(leaves) != w {
			fail("bundle %d holds %d entries, want %d", b, len(leaves), w)
		}
		for i := 0; i < w; i++ {
			idx = append(idx, tlog.StoredHashIndex(0, b*256+int64(i)))
		}
		stored, err := hr.ReadHashes(idx)
		if err != nil {
			fail("read hashes of bundle %d: %v", b, err)
		}
		for i := range leaves {
			if stored[i] != leaves[i] {
				fail("entry %d does not hash to its tile hash", b*256+int64(i))
			}
			checked++
		}
	}
	// A sample of inclusion proofs, computed and checked by Go.
	for i := int64(0); i < cp.size; i += 9973 {
		p, err := tlog.ProveRecord(cp.size, i, hr)
		if err != nil {
			fail("prove %d: %v", i, err)
		}
		leaf, _ := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
		if err := tlog.CheckRecord(p, cp.size, cp.root, i, leaf[0]); err != nil {
			fail("inclusion %d: %v", i, err)
		}
	}

	// Every checkpoint in the history is consistent with the current one.
	history := 0
	if f, err := os.Open(filepath.Join(dir, "checkpoint-history.ndjson")); err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var rec struct {
				Size int64  `json:"size"`
				Note string `json:"note"`
			}
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				fail("history: %v", err)
			}
			old := openCheckpoint([]byte(rec.Note), v)
			if old.size > 0 {
				p, err := tlog.ProveTree(cp.size, old.size, hr)
				if err != nil {
					fail("prove tree %d: %v", old.size, err)
				}
				if err := tlog.CheckTree(p, cp.size, cp.root, old.size, old.root); err != nil {
					fail("history checkpoint %d is not consistent: %v", old.size, err)
				}
			}
			history++
		}
	}

	// liveledger's own artifacts, checked by Go.
	bundles := 0
	for _, path := range os.Args[3:] {
		raw, err := os.ReadFile(path)
		if err != nil {
			fail("%v", err)
		}
		var doc struct {
			Format     string   `json:"format"`
			Entry      string   `json:"entry"`
			Leaf       int64    `json:"leaf_index"`
			TreeSize   int64    `json:"tree_size"`
			Inclusion  []string `json:"inclusion_proof"`
			Checkpoint string   `json:"checkpoint"`
			Key        string   `json:"key"`
			OldSize    int64    `json:"old_size"`
			NewSize    int64    `json:"new_size"`
			OldCP      string   `json:"old_checkpoint"`
			NewCP      string   `json:"new_checkpoint"`
			Proof      []string `json:"proof"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			fail("%s: %v", path, err)
		}
		if doc.Format != "" && doc.Format != "liveledger/inclusion-bundle/v1" {
			fail("%s: format %q: only inclusion bundles and consistency proofs have a Go counterpart", path, doc.Format)
		}
		if doc.Format != "" {
			if strings.TrimSpace(doc.Key) != vkey {
				fail("%s: key %q is not the log's", path, doc.Key)
			}
			bcp := openCheckpoint([]byte(doc.Checkpoint), v)
			entry, err := base64.StdEncoding.DecodeString(doc.Entry)
			if err != nil {
				fail("%s: entry: %v", path, err)
			}
			if bcp.size != doc.TreeSize {
				fail("%s: tree size", path)
			}
			if err := tlog.CheckRecord(decodeHashes(doc.Inclusion), bcp.size, bcp.root, doc.Leaf, tlog.RecordHash(entry)); err != nil {
				fail("%s: inclusion proof: %v", path, err)
			}
		} else {
			oldCP := openCheckpoint([]byte(doc.OldCP), v)
			newCP := openCheckpoint([]byte(doc.NewCP), v)
			if err := tlog.CheckTree(decodeHashes(doc.Proof), newCP.size, newCP.root, oldCP.size, oldCP.root); err != nil {
				fail("%s: consistency proof: %v", path, err)
			}
		}
		bundles++
	}
	fmt.Printf("OK: %s size %d, %d entries re-hashed, %d historic checkpoints consistent, %d liveledger proofs checked\n",
		cp.origin, cp.size, checked, history, bundles)
}
