//! A process' memory from `/proc/PID/status`: resident set (`VmRSS`) and its peak (`VmHWM`).

/// Memory of one process, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProcMem {
    /// Resident set size now.
    pub rss: u64,
    /// Peak resident set size since the process started.
    pub hwm: u64,
}

/// Reads `/proc/PID/status`; `None` if the process is gone or the file unreadable.
pub fn read(pid: u32) -> Option<ProcMem> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse(&text)
}

/// Parses the text of a `/proc/PID/status` file.
pub fn parse(text: &str) -> Option<ProcMem> {
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb * 1024)
    };
    Some(ProcMem {
        rss: field("VmRSS:")?,
        hwm: field("VmHWM:").unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status() {
        let text = "Name:\tstrata\nVmPeak:\t  999 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\n";
        assert_eq!(
            parse(text),
            Some(ProcMem {
                rss: 1024 * 1024,
                hwm: 2048 * 1024
            })
        );
        assert_eq!(parse("Name: x\n"), None);
    }

    #[test]
    fn reads_own_process() {
        let m = read(std::process::id()).unwrap();
        assert!(m.rss > 0 && m.hwm >= m.rss);
    }
}
