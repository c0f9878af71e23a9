//! A map from dense series ids to values, as pages of consecutive ids: a lookup is two
//! indexings instead of a hash and a probe, and series written in the order they were
//! created (a Prometheus scrape, a TSBS load) walk the pages front to back, which the CPU
//! prefetches. A page is allocated when one of its ids is first written, so a table that
//! holds a few series of a large catalog costs a few pages, not the whole id range.

/// Ids per page.
const PAGE: usize = 1024;

/// See the module documentation. `T::default()` is the empty value of an id never written.
#[derive(Debug)]
pub struct ById<T> {
    pages: Vec<Option<Box<[T]>>>,
    /// The ids written, in the order they were first written.
    ids: Vec<u32>,
}

impl<T> Default for ById<T> {
    fn default() -> Self {
        ById {
            pages: Vec::new(),
            ids: Vec::new(),
        }
    }
}

impl<T: Default> ById<T> {
    fn split(id: u32) -> (usize, usize) {
        let id = id as usize;
        (id / PAGE, id % PAGE)
    }

    /// The value of `id`, if it was ever written.
    pub fn get(&self, id: u32) -> Option<&T> {
        let (page, slot) = Self::split(id);
        self.pages.get(page)?.as_ref()?.get(slot)
    }

    /// The value of `id` to change, if it was ever written.
    pub fn get_mut(&mut self, id: u32) -> Option<&mut T> {
        let (page, slot) = Self::split(id);
        self.pages.get_mut(page)?.as_mut()?.get_mut(slot)
    }

    /// The value of `id` to write, the empty value the first time; `is_new(&value)` tells
    /// whether that value counts as not written yet (so the id is recorded once it is not).
    pub fn entry(&mut self, id: u32, is_new: impl Fn(&T) -> bool) -> &mut T {
        let (page, slot) = Self::split(id);
        if self.pages.len() <= page {
            self.pages.resize_with(page + 1, || None);
        }
        let values = self.pages[page].get_or_insert_with(|| {
            (0..PAGE)
                .map(|_| T::default())
                .collect::<Vec<T>>()
                .into_boxed_slice()
        });
        let value = &mut values[slot];
        if is_new(value) {
            self.ids.push(id);
        }
        value
    }

    /// The ids written, in the order of their first write.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_far_apart_cost_their_pages_only_and_are_listed_once() {
        let mut m: ById<Vec<u8>> = ById::default();
        m.entry(5_000_000, Vec::is_empty).push(1);
        m.entry(3, Vec::is_empty).push(2);
        m.entry(5_000_000, Vec::is_empty).push(3);
        assert_eq!(m.get(5_000_000), Some(&vec![1, 3]));
        assert_eq!(m.get(3), Some(&vec![2]));
        assert_eq!(m.get(4), Some(&Vec::new()), "on a written page: empty");
        assert_eq!(m.get(9_999), None, "on a page never written");
        assert_eq!(m.ids(), &[5_000_000, 3]);
        assert_eq!(m.pages.iter().filter(|p| p.is_some()).count(), 2);
        if let Some(v) = m.get_mut(3) {
            v.clear();
        }
        assert_eq!(m.get(3), Some(&Vec::new()));
    }
}
