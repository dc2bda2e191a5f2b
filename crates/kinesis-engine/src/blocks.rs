//! A deque stored in fixed-size blocks, so growth never doubles memory and the oldest items
//! are freed a block at a time.

use std::collections::VecDeque;

const PER_BLOCK: usize = 1024;

/// Items in arrival order, appended at the back and removed from the front.
pub(crate) struct BlockDeque<T> {
    blocks: VecDeque<Vec<T>>,
    /// Items of the first block already removed.
    head: usize,
    len: usize,
}

impl<T> Default for BlockDeque<T> {
    fn default() -> Self {
        BlockDeque {
            blocks: VecDeque::new(),
            head: 0,
            len: 0,
        }
    }
}

impl<T> BlockDeque<T> {
    /// Appends an item at the back.
    pub(crate) fn push(&mut self, item: T) {
        match self.blocks.back_mut() {
            Some(b) if b.len() < PER_BLOCK => b.push(item),
            _ => {
                let mut b = Vec::with_capacity(PER_BLOCK);
                b.push(item);
                self.blocks.push_back(b);
            }
        }
        self.len += 1;
    }

    /// The item at position `i` from the front.
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len {
            return None;
        }
        let abs = self.head + i;
        self.blocks.get(abs / PER_BLOCK)?.get(abs % PER_BLOCK)
    }

    /// Removes the front item. A block's memory is freed once all its items are gone; items
    /// of a partly emptied block are never served again.
    pub(crate) fn pop_front(&mut self) {
        if self.len == 0 {
            return;
        }
        self.len -= 1;
        self.head += 1;
        if self.len == 0 {
            self.blocks.clear();
            self.head = 0;
        } else if self.head == PER_BLOCK {
            self.blocks.pop_front();
            self.head = 0;
        }
    }

    /// Number of items.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The first position whose item does not satisfy `pred`, given that `pred` holds for a
    /// prefix of the items and fails for the rest.
    pub(crate) fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid) {
                Some(item) if pred(item) => lo = mid + 1,
                _ => hi = mid,
            }
        }
        lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_pop_across_blocks() {
        let mut d = BlockDeque::default();
        for i in 0..3000u32 {
            d.push(i);
        }
        for _ in 0..1500 {
            d.pop_front();
        }
        assert_eq!(d.len(), 1500);
        assert_eq!(d.get(0), Some(&1500));
        assert_eq!(d.get(1499), Some(&2999));
        assert_eq!(d.partition_point(|&x| x < 2000), 500);
        assert_eq!(d.blocks.len(), 2);
        for _ in 0..1500 {
            d.pop_front();
        }
        assert_eq!((d.len(), d.blocks.len(), d.get(0)), (0, 0, None));
    }
}
