//! Reads split across the machine's cores: work over many series is cut into consecutive
//! ranges, one per core, each run on a scoped thread (the caller's own thread takes the
//! first), and the parts come back in order, so a caller merges them as if one thread had
//! read everything. Every query language's executor uses this one split.

use std::ops::Range;
use std::sync::OnceLock;

/// The cores this process may run on (asked once).
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// How many parts [`in_parts`] cuts `n` items into: one per core, each of at least
/// `min_part` items (at least one part).
pub fn part_count(n: usize, min_part: usize) -> usize {
    cores().min(n / min_part.max(1)).max(1)
}

/// `work` over the items `0..n`, cut into [`part_count`] consecutive ranges run at once;
/// the parts' results in range order. A part that fails fails the whole; a part's thread
/// that panics yields `failed()`.
pub fn in_parts<T: Send, E: Send>(
    n: usize,
    min_part: usize,
    failed: impl Fn() -> E + Sync,
    work: impl Fn(Range<usize>) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    let parts = part_count(n, min_part);
    if parts == 1 {
        return Ok(vec![work(0..n)?]);
    }
    let range = |p: usize| p * n / parts..(p + 1) * n / parts;
    let work = &work;
    std::thread::scope(|sc| {
        let others: Vec<_> = (1..parts)
            .map(|p| {
                let r = range(p);
                sc.spawn(move || work(r))
            })
            .collect();
        let mut out = Vec::with_capacity(parts);
        out.push(work(range(0)));
        for h in others {
            out.push(h.join().unwrap_or_else(|_| Err(failed())));
        }
        out.into_iter().collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_the_items_in_order() {
        for n in [0, 1, 2, 3, 7, 100, 1001] {
            let parts: Vec<Range<usize>> = in_parts(n, 2, || "failed", Ok::<_, &str>).unwrap();
            assert_eq!(parts.len(), part_count(n, 2));
            let flat: Vec<usize> = parts.into_iter().flatten().collect();
            assert_eq!(flat, (0..n).collect::<Vec<_>>(), "n = {n}");
        }
        // Too few items for two parts: one part, run here.
        assert_eq!(part_count(3, 4), 1);
    }

    #[test]
    fn a_failing_part_fails_the_whole() {
        let r = in_parts(
            1000,
            1,
            || "panicked",
            |r| {
                if r.contains(&999) {
                    Err("late part")
                } else {
                    Ok(r.len())
                }
            },
        );
        assert_eq!(r, Err("late part"));
        let r: Result<Vec<usize>, &str> = in_parts(
            1000,
            1,
            || "panicked",
            |r| {
                if r.contains(&999) && part_count(1000, 1) > 1 {
                    panic!("a part's thread panics");
                }
                Ok(r.len())
            },
        );
        if part_count(1000, 1) > 1 {
            assert_eq!(r, Err("panicked"));
        } else {
            assert_eq!(r, Ok(vec![1000]));
        }
    }
}
