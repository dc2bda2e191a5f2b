//! What an instance's process has used, read from `/proc` on Linux: its peak resident memory
//! and its CPU time. Elsewhere nothing is read. A read that fails (the process has ended, or
//! was reaped) gives `None`, so the figure is left out rather than made up.

use std::time::Duration;

/// The process's peak resident set size in kB (`VmHWM` of `/proc/<pid>/status`). Its children
/// are not added: walking them is not worth it for the runtimes the engine starts.
pub(crate) fn peak_rss_kb(pid: u32) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

/// CPU time the process has used so far, user and system, its reaped children's included
/// (`utime`, `stime`, `cutime` and `cstime` of `/proc/<pid>/stat`).
pub(crate) fn cpu_time(pid: u32) -> Option<Duration> {
    #[cfg(target_os = "linux")]
    {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        cpu_ticks(&stat).map(|ticks| {
            Duration::from_secs_f64(ticks as f64 / rustix::param::clock_ticks_per_second() as f64)
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

/// `utime + stime + cutime + cstime` (fields 14 to 17, in clock ticks) of a `/proc/<pid>/stat`
/// line. The command name (field 2) may hold spaces and parentheses, so the fields are
/// counted from its closing parenthesis, the last one on the line.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // Field 3 (the state) is the first after the name.
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    fields
        .get(11..15)?
        .iter()
        .map(|f| f.parse::<u64>().ok())
        .sum()
}

/// Most directory entries [`dir_size`] reads, so a function that fills its `/tmp` with
/// small files cannot make each invocation's bookkeeping slow.
const MAX_ENTRIES: usize = 100_000;

/// The bytes of the regular files under `dir` (symbolic links are not followed); `None` when
/// `dir` cannot be read or holds more than [`MAX_ENTRIES`] entries.
pub(crate) fn dir_size(dir: &std::path::Path) -> Option<u64> {
    let mut total = 0u64;
    let mut pending = vec![dir.to_path_buf()];
    let mut seen = 0usize;
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).ok()? {
            seen += 1;
            if seen > MAX_ENTRIES {
                return None;
            }
            let Ok(entry) = entry else { continue };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                total += entry.metadata().map(|m| m.len()).unwrap_or(0);
            }
        }
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_size_counts_files_in_subdirectories() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(dir_size(dir.path()), Some(0));
        std::fs::write(dir.path().join("a"), [0u8; 1000]).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub").join("b"), [0u8; 24]).unwrap();
        assert_eq!(dir_size(dir.path()), Some(1024));
        assert_eq!(dir_size(&dir.path().join("missing")), None);
    }

    #[test]
    fn cpu_ticks_are_counted_after_the_command_name() {
        let stat =
            "4242 (boot (x) y) S 1 4242 4242 0 -1 4194560 120 0 0 0 7 3 2 1 20 0 1 0 100 1000 50";
        assert_eq!(cpu_ticks(stat), Some(7 + 3 + 2 + 1));
        assert_eq!(cpu_ticks("4242 (cut) S 1 2"), None);
        assert_eq!(cpu_ticks("no name"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_read() {
        let me = std::process::id();
        assert!(peak_rss_kb(me).is_some_and(|kb| kb > 0));
        assert!(cpu_time(me).is_some());
        // A pid above the kernel's limit (2^22) never names a process.
        assert_eq!(peak_rss_kb(u32::MAX), None);
        assert_eq!(cpu_time(u32::MAX), None);
    }
}
