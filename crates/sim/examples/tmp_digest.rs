//! Temporary: digests of `simulate`'s output for many configs, to check a
//! refactor changes no byte. Deleted when the refactor is done.

use sim::{simulate, Config, Scenario};

fn fnv(data: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in data {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn main() {
    let mut sets: Vec<Vec<Scenario>> = Scenario::ALL.iter().map(|(_, s)| vec![*s]).collect();
    sets.push(Scenario::ALL.iter().map(|(_, s)| *s).collect());
    sets.push(vec![]);
    sets.push(vec![Scenario::BotFarm, Scenario::BrushingRing]);
    sets.push(vec![
        Scenario::RefundSurge,
        Scenario::AfterSales,
        Scenario::FalseClaims,
    ]);
    for scale in [0.001, 0.01, 1e-9] {
        for seed in [1u64, 42, 365 + 7] {
            for (i, set) in sets.iter().enumerate() {
                if scale == 0.01 && seed == 365 + 7 && i % 3 != 0 {
                    continue; // keep the run short
                }
                let session = (seed == 42 && i % 2 == 0).then(|| format!("sess-{i}"));
                let cfg = Config {
                    scenarios: set.clone(),
                    scale,
                    seed,
                    session,
                };
                let mut out = Vec::new();
                let truth = simulate(&cfg, &mut out).unwrap();
                let tj = truth.to_json().to_string();
                let td = format!("{truth:?}");
                println!(
                    "scale={scale} seed={seed} set={i} events={} len={} ev={:016x} truth={:016x} debug={:016x}",
                    truth.events,
                    out.len(),
                    fnv(&out),
                    fnv(tj.as_bytes()),
                    fnv(td.as_bytes())
                );
            }
        }
    }
}
