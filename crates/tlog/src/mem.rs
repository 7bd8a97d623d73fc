//! Memory advice for bulk buffers.

/// Asks the kernel to back `v`'s allocation with ordinary 4 KiB pages
/// rather than transparent huge pages; call it before the buffer is first
/// written. For the large buffers an import fills and reuses: the
/// allocator (mimalloc) asks for huge pages for all its memory, and on a VM
/// that hands freed memory back to its host (free page reporting, as on
/// this project's machines) a fresh huge page costs about five times more
/// per byte to fault in than 4 KiB pages do — while buffers read and
/// written in order gain nothing from needing fewer TLB entries. Only
/// advice: if it fails, or off Linux, nothing changes.
pub fn small_pages<T>(v: &Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let bytes = v.capacity() * std::mem::size_of::<T>();
        if bytes < PAGE {
            return;
        }
        let start = v.as_ptr() as usize & !(PAGE - 1);
        let end = (v.as_ptr() as usize + bytes).next_multiple_of(PAGE);
        // SAFETY: the range is the vector's own allocation rounded out to
        // whole pages, all of them mapped, and this advice changes only how
        // pages are backed, never what they hold.
        let _ = unsafe {
            rustix::mm::madvise(
                start as *mut std::ffi::c_void,
                end - start,
                rustix::mm::Advice::LinuxNoHugepage,
            )
        };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The `VmFlags` of the mapping that holds `addr`, from /proc/self/smaps.
    fn vm_flags(addr: usize) -> String {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((lo, hi)) = range.split_once('-') {
                    if let (Ok(lo), Ok(hi)) =
                        (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
                    {
                        inside = (lo..hi).contains(&addr);
                        continue;
                    }
                }
            }
            if inside {
                if let Some(flags) = line.strip_prefix("VmFlags:") {
                    return flags.to_string();
                }
            }
        }
        panic!("no mapping holds {addr:#x}");
    }

    #[test]
    fn the_buffer_is_marked_for_small_pages_and_keeps_its_contents() {
        let mut v: Vec<u64> = Vec::with_capacity(1 << 20);
        v.extend(0..1000);
        let middle = v.as_ptr() as usize + (4 << 20);
        assert!(!vm_flags(middle).split_whitespace().any(|f| f == "nh"));
        small_pages(&v);
        assert!(vm_flags(middle).split_whitespace().any(|f| f == "nh"));
        assert!(v.iter().copied().eq(0..1000));
    }
}
