//! A mergeable quantile sketch with 1% relative error (DDSketch-style).
//!
//! # Layout
//!
//! A value `x > 0` falls in bucket `k = ceil(ln x / ln γ)` with `γ = (1 + α) / (1 − α)` and
//! `α = 0.01`, so bucket `k` holds the values in `(γ^(k−1), γ^k]`. Every value of a bucket is
//! within `α` of the bucket's representative `2γ^k / (1 + γ) = (1 − α)·γ^k`, which is what
//! [`Sketch::quantile`] returns. Negative values go to a second store keyed by `|x|`; zeros
//! (and `-0.0`) are a plain count. Each store is dense with an offset: weight `i` belongs to
//! key `offset + i`, so an add is one logarithm and one indexed add. Weights are kept in the
//! narrowest of u8, u16, u32 and f64 that holds them exactly (widened on demand, never
//! narrowed), so the common case, a few hundred values a second, costs one byte per bucket.
//!
//! # Bound
//!
//! A store spans at most [`MAX_BUCKETS`] consecutive keys (a range of `γ^2048 ≈ 5·10^17`
//! between its smallest and largest magnitude at full accuracy). When a larger key arrives,
//! the lowest keys are collapsed into the lowest key that still fits; a key below the window
//! is counted in that lowest bucket. Collapsing only ever loses accuracy for the values of
//! smallest magnitude (the low quantiles of positive data, the high quantiles of negative
//! data), never for the tail that p99 looks at. A sketch therefore holds at most
//! `2 × 2048` weights of at most 8 bytes (32 KiB) however many values it has seen; its size
//! is [`std::mem::size_of::<Sketch>()`] (96 bytes) plus [`Sketch::heap_bytes`].
//!
//! # Invariants
//!
//! - The final contents depend only on the multiset of values added, not on their order or on
//!   how they were split between sketches: a store keeps every key `≥ M − 2047` exactly
//!   (`M` the largest key it has seen) and folds everything lower into key `M − 2047`.
//!   Hence `merge(sketch(a), sketch(b)) == sketch(a ++ b)` (bit for bit when counts are
//!   integers; up to summation order otherwise).
//! - `count()` is the sum of all bucket weights and the zero count.
//!
//! # Rank definition
//!
//! `quantile(q)` estimates the order statistic of 0-based rank `⌊q·(n − 1)⌋` of the `n`
//! values added (the element a sorted array would hold at that index): it walks the buckets
//! in value order and answers with the first bucket whose cumulative weight exceeds
//! `q·(n − 1)`. For every `q` the answer is within 1% of that exact order statistic
//! (plus floating-point rounding of about 1e-15), as long as no collapse has touched it.
//!
//! # Rejected input
//!
//! NaN and ±infinity have no bucket. Callers must reject them (the store answers
//! [`crate::Error::InvalidValue`]); the sketch ignores them, and ignores counts that are not
//! finite and positive, so that its invariants hold whatever it is handed.

/// Relative accuracy α: every quantile is within `α·|x|` of the exact order statistic `x`.
pub const RELATIVE_ACCURACY: f64 = 0.01;

/// The largest number of consecutive keys one store (positive or negative) spans.
pub const MAX_BUCKETS: usize = 2048;

/// `ln γ` for `γ = 1.01 / 0.99`; checked against the runtime value in the tests.
const LN_GAMMA: f64 = 0.020000666706669435;
/// `1 / ln γ`.
const INV_LN_GAMMA: f64 = 49.99833328888678;
/// `ln(1 − α)`, added to `k·ln γ` so that the representative is `(1 − α)·γ^k`.
const LN_ONE_MINUS_ALPHA: f64 = -0.01005033585350145;

/// The bucket key of a positive, finite value.
#[inline]
fn key_of(magnitude: f64) -> i32 {
    // ln of the smallest subnormal is -744.4 and of f64::MAX 709.8, so the key stays within
    // about ±37,300: the cast never saturates.
    (magnitude.ln() * INV_LN_GAMMA).ceil() as i32
}

/// The representative magnitude of a bucket key.
#[inline]
fn value_of(key: i32) -> f64 {
    (f64::from(key) * LN_GAMMA + LN_ONE_MINUS_ALPHA)
        .exp()
        .min(f64::MAX)
}

/// Bucket weights, in the narrowest type that holds every one of them exactly.
///
/// Most weights are small integers (a second rarely puts more than 255 values in one 1%
/// bucket), so a store starts with one byte per bucket and widens (to u16, u32, then f64)
/// only when a weight outgrows its type or is fractional. Widening is one-way.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
enum Counts {
    #[serde(rename = "1")]
    U8(Vec<u8>),
    #[serde(rename = "2")]
    U16(Vec<u16>),
    #[serde(rename = "4")]
    U32(Vec<u32>),
    #[serde(rename = "8")]
    F64(Vec<f64>),
}

/// Runs `$body` with `$v` bound to the inner vector, whatever its element type.
macro_rules! each {
    ($counts:expr, $v:ident => $body:expr) => {
        match $counts {
            Counts::U8($v) => $body,
            Counts::U16($v) => $body,
            Counts::U32($v) => $body,
            Counts::F64($v) => $body,
        }
    };
}

impl Default for Counts {
    fn default() -> Counts {
        Counts::U8(Vec::new())
    }
}

fn vec_bytes<T>(v: &Vec<T>) -> usize {
    v.capacity() * std::mem::size_of::<T>()
}

impl Counts {
    fn len(&self) -> usize {
        each!(self, v => v.len())
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    #[allow(clippy::useless_conversion)] // identity in the f64 arm
    fn get(&self, i: usize) -> f64 {
        each!(self, v => f64::from(v[i]))
    }

    /// Adds `c` (positive) to weight `i`, widening the storage if the sum does not fit.
    #[inline]
    fn add(&mut self, i: usize, c: f64) {
        macro_rules! int_add {
            ($v:expr, $t:ty) => {{
                let sum = f64::from($v[i]) + c;
                if c.fract() == 0.0 && sum <= f64::from(<$t>::MAX) {
                    $v[i] = sum as $t;
                    return;
                }
            }};
        }
        match self {
            Counts::U8(v) => int_add!(v, u8),
            Counts::U16(v) => int_add!(v, u16),
            Counts::U32(v) => int_add!(v, u32),
            Counts::F64(v) => {
                v[i] += c;
                return;
            }
        }
        self.widen_for(self.get(i) + c, c.fract() == 0.0);
        self.add(i, c);
    }

    /// Converts to the narrowest type, wider than the current one, that holds `need`.
    fn widen_for(&mut self, need: f64, integral: bool) {
        let values: Vec<f64> = (0..self.len()).map(|i| self.get(i)).collect();
        let at_least = match self {
            Counts::U8(_) => 1,
            Counts::U16(_) => 2,
            _ => 3,
        };
        let fits = if !integral {
            3
        } else if need <= f64::from(u16::MAX) {
            1
        } else if need <= f64::from(u32::MAX) {
            2
        } else {
            3
        };
        // Each weight is integral and within the new type's range: the casts are exact.
        *self = match fits.max(at_least) {
            1 => Counts::U16(values.iter().map(|&x| x as u16).collect()),
            2 => Counts::U32(values.iter().map(|&x| x as u32).collect()),
            _ => Counts::F64(values),
        };
    }

    /// Grows to `len` weights, the new ones zero, reserving by half again (capped at
    /// [`MAX_BUCKETS`]) so that a run of new keys costs amortised O(1).
    fn grow_to(&mut self, len: usize) {
        each!(self, v => {
            let cap = v.capacity();
            if len > cap {
                let target = (cap + cap / 2).max(len).max(4).min(MAX_BUCKETS.max(len));
                v.reserve_exact(target - v.len());
            }
            v.resize(len, Default::default());
        })
    }

    /// Moves the first `len` weights `by` places up and zeroes the places they leave.
    fn shift_up(&mut self, len: usize, by: usize) {
        each!(self, v => {
            v.copy_within(0..len, by);
            v[..by].fill(Default::default());
        })
    }

    /// Removes the first `n` weights and returns their sum.
    #[allow(clippy::useless_conversion)] // identity in the f64 arm
    fn drain_front(&mut self, n: usize) -> f64 {
        each!(self, v => {
            let sum: f64 = v[..n].iter().map(|&x| f64::from(x)).sum();
            v.drain(..n);
            sum
        })
    }

    fn heap_bytes(&self) -> usize {
        each!(self, v => vec_bytes(v))
    }
}

/// The span of keys a store may cover, minus one.
const SPAN: i32 = MAX_BUCKETS as i32 - 1;

/// Dense weights for keys `offset .. offset + counts.len()`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Dense {
    /// Key of weight 0; meaningless while `counts` is empty.
    #[serde(rename = "o")]
    offset: i32,
    /// Weights, never more than [`MAX_BUCKETS`]. The first and last are non-zero.
    #[serde(rename = "c")]
    counts: Counts,
}

impl Dense {
    /// The highest key held; only meaningful when non-empty.
    fn max_key(&self) -> i32 {
        self.offset + self.counts.len() as i32 - 1
    }

    /// Index of `key`, which [`Dense::cover`] has made fit unless it was collapsed.
    #[inline]
    fn index_of(&self, key: i32) -> usize {
        (key - self.offset).max(0) as usize
    }

    #[inline]
    fn add(&mut self, key: i32, count: f64) {
        if self.counts.is_empty() || key < self.offset || key > self.max_key() {
            self.cover(key, key);
        }
        let i = self.index_of(key);
        self.counts.add(i, count);
    }

    /// Grows the window to hold keys `lo..=hi`, collapsing the lowest keys when the span
    /// would exceed [`MAX_BUCKETS`].
    fn cover(&mut self, lo: i32, hi: i32) {
        if self.counts.is_empty() {
            let lo = lo.max(hi - SPAN);
            self.offset = lo;
            self.counts = Counts::U8(vec![0; (hi - lo + 1) as usize]);
            return;
        }
        let (cur_lo, cur_hi) = (self.offset, self.max_key());
        let new_hi = hi.max(cur_hi);
        let new_lo = lo.min(cur_lo).max(new_hi - SPAN);

        if new_lo > cur_lo {
            // Collapse keys below new_lo into new_lo.
            let cut = ((new_lo - cur_lo) as usize).min(self.counts.len());
            let folded = self.counts.drain_front(cut);
            if self.counts.is_empty() {
                self.counts.grow_to(1);
            }
            self.counts.add(0, folded);
            self.offset = new_lo;
        }
        let old_len = self.counts.len();
        let front = (self.offset - new_lo).max(0) as usize;
        let new_len = (new_hi - new_lo + 1) as usize;
        if new_len == old_len {
            return;
        }
        self.counts.grow_to(new_len);
        if front > 0 {
            self.counts.shift_up(old_len, front);
            self.offset = new_lo;
        }
    }
}

/// Adds an integral `count` to sorted sparse buckets, with the same collapsing rule as
/// [`Dense`]. Returns `false`, changing nothing, when a weight would not fit a `u32` or
/// `count` is fractional: the caller then goes dense.
fn sparse_add(v: &mut Vec<(i32, u32)>, key: i32, count: f64) -> bool {
    if count.fract() != 0.0 || count > f64::from(u32::MAX) {
        return false;
    }
    let c = count as u64;
    let Some(&(max, _)) = v.last() else {
        v.push((key, c as u32));
        return true;
    };
    if key > max {
        let floor = key - SPAN;
        let cut = v.partition_point(|e| e.0 < floor);
        if cut > 0 {
            let onto_floor = v.get(cut).is_some_and(|e| e.0 == floor);
            let end = if onto_floor { cut + 1 } else { cut };
            let folded: u64 = v[..end].iter().map(|e| u64::from(e.1)).sum();
            if folded > u64::from(u32::MAX) {
                return false;
            }
            v.drain(..end);
            v.insert(0, (floor, folded as u32));
        }
        v.push((key, c as u32));
        return true;
    }
    let key = key.max(max - SPAN);
    match v.binary_search_by_key(&key, |e| e.0) {
        Ok(i) => {
            let sum = u64::from(v[i].1) + c;
            if sum > u64::from(u32::MAX) {
                return false;
            }
            v[i].1 = sum as u32;
        }
        Err(i) => v.insert(i, (key, c as u32)),
    }
    true
}

/// One sign's buckets, sparse while the keys seen are few and far apart, dense after.
///
/// Sparse costs 8 bytes per non-empty bucket, dense one to eight bytes per bucket spanned;
/// a store goes dense (for good) once it has at least [`DENSE_AFTER`] buckets and dense would
/// be no larger. Both keep exactly the same weights: the representation never changes a
/// result.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
enum Buckets {
    #[serde(rename = "s")]
    Sparse(Vec<(i32, u32)>),
    #[serde(rename = "d")]
    Dense(Dense),
}

/// Sparse stores this small stay sparse whatever their span (an allocation is ~32 bytes anyway).
const DENSE_AFTER: usize = 4;

impl Default for Buckets {
    fn default() -> Buckets {
        Buckets::Sparse(Vec::new())
    }
}

impl PartialEq for Buckets {
    /// Equal weights per key, whatever the representation.
    fn eq(&self, other: &Buckets) -> bool {
        self.iter().eq(other.iter())
    }
}

/// Non-zero `(key, weight)` pairs of either representation.
enum BucketIter<S, D> {
    Sparse(S),
    Dense(D),
}

impl<S, D> Iterator for BucketIter<S, D>
where
    S: Iterator<Item = (i32, f64)>,
    D: Iterator<Item = (i32, f64)>,
{
    type Item = (i32, f64);

    #[inline]
    fn next(&mut self) -> Option<(i32, f64)> {
        match self {
            BucketIter::Sparse(s) => s.next(),
            BucketIter::Dense(d) => d.next(),
        }
    }
}

impl<S, D> DoubleEndedIterator for BucketIter<S, D>
where
    S: DoubleEndedIterator<Item = (i32, f64)>,
    D: DoubleEndedIterator<Item = (i32, f64)>,
{
    #[inline]
    fn next_back(&mut self) -> Option<(i32, f64)> {
        match self {
            BucketIter::Sparse(s) => s.next_back(),
            BucketIter::Dense(d) => d.next_back(),
        }
    }
}

impl Buckets {
    /// Lowest and highest key held, if any.
    fn range(&self) -> Option<(i32, i32)> {
        match self {
            Buckets::Sparse(v) => Some((v.first()?.0, v.last()?.0)),
            Buckets::Dense(d) if d.counts.is_empty() => None,
            Buckets::Dense(d) => Some((d.offset, d.max_key())),
        }
    }

    #[inline]
    fn add(&mut self, key: i32, count: f64) {
        match self {
            Buckets::Dense(d) => d.add(key, count),
            Buckets::Sparse(v) => {
                if sparse_add(v, key, count) {
                    if v.len() >= DENSE_AFTER {
                        let span = (v[v.len() - 1].0 - v[0].0 + 1) as usize;
                        if span <= v.len() * std::mem::size_of::<(i32, u32)>() {
                            self.densify();
                        }
                    }
                } else {
                    self.densify();
                    self.add(key, count);
                }
            }
        }
    }

    fn densify(&mut self) {
        if let Buckets::Sparse(v) = self {
            let mut dense = Dense::default();
            if let (Some(&(lo, _)), Some(&(hi, _))) = (v.first(), v.last()) {
                dense.cover(lo, hi);
                for &(key, c) in v.iter() {
                    let i = dense.index_of(key);
                    dense.counts.add(i, f64::from(c));
                }
            }
            *self = Buckets::Dense(dense);
        }
    }

    fn merge(&mut self, other: &Buckets) {
        let Some((lo, hi)) = other.range() else {
            return;
        };
        if let (Buckets::Sparse(_), Buckets::Dense(_)) = (&*self, other) {
            self.densify();
        }
        match self {
            Buckets::Dense(d) => {
                d.cover(lo, hi);
                for (key, c) in other.iter() {
                    let i = d.index_of(key);
                    d.counts.add(i, c);
                }
            }
            Buckets::Sparse(_) => {
                // Both sparse: the highest key first, so that collapsing happens once.
                for (key, c) in other.iter().rev() {
                    self.add(key, c);
                }
            }
        }
    }

    fn shrink_to_fit(&mut self) {
        match self {
            Buckets::Sparse(v) => v.shrink_to_fit(),
            Buckets::Dense(d) => each!(&mut d.counts, v => v.shrink_to_fit()),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Buckets::Sparse(v) => vec_bytes(v),
            Buckets::Dense(d) => d.counts.heap_bytes(),
        }
    }

    /// Non-zero `(key, weight)` pairs in ascending key order.
    fn iter(&self) -> impl DoubleEndedIterator<Item = (i32, f64)> + '_ {
        match self {
            Buckets::Sparse(v) => BucketIter::Sparse(v.iter().map(|&(k, c)| (k, f64::from(c)))),
            Buckets::Dense(d) => BucketIter::Dense(
                (0..d.counts.len())
                    .map(move |i| (d.offset + i as i32, d.counts.get(i)))
                    .filter(|(_, c)| *c != 0.0),
            ),
        }
    }
}

/// A mergeable quantile sketch: every quantile within 1% relative error, at most 32 KiB.
///
/// ```
/// use metric_store::Sketch;
///
/// let mut a = Sketch::new();
/// for v in 1..=1000 {
///     a.add(f64::from(v));
/// }
/// let mut b = Sketch::new();
/// b.add_n(5000.0, 10.0);
/// a.merge(&b);
/// assert_eq!(a.count(), 1010.0);
/// let p50 = a.quantile(0.5).unwrap();
/// assert!((p50 - 505.0).abs() <= 5.05);
/// ```
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sketch {
    #[serde(rename = "p")]
    positive: Buckets,
    #[serde(rename = "n")]
    negative: Buckets,
    #[serde(rename = "z")]
    zero: f64,
    #[serde(rename = "c")]
    count: f64,
}

impl Sketch {
    /// An empty sketch.
    pub fn new() -> Sketch {
        Sketch::default()
    }

    /// Adds one value. NaN and ±infinity are ignored (callers reject them).
    #[inline]
    pub fn add(&mut self, value: f64) {
        self.add_n(value, 1.0);
    }

    /// Adds `value` with weight `count`. Ignored unless `value` is finite and `count` is
    /// finite and positive; fractional weights are allowed.
    #[inline]
    pub fn add_n(&mut self, value: f64, count: f64) {
        if !(value.is_finite() && count > 0.0 && count.is_finite()) {
            return;
        }
        if value > 0.0 {
            self.positive.add(key_of(value), count);
        } else if value < 0.0 {
            self.negative.add(key_of(-value), count);
        } else {
            self.zero += count;
        }
        self.count += count;
    }

    /// Adds every value of `other` to this sketch.
    pub fn merge(&mut self, other: &Sketch) {
        self.positive.merge(&other.positive);
        self.negative.merge(&other.negative);
        self.zero += other.zero;
        self.count += other.count;
    }

    /// Total weight added.
    pub fn count(&self) -> f64 {
        self.count
    }

    /// Whether nothing has been added.
    pub fn is_empty(&self) -> bool {
        self.count == 0.0
    }

    /// The estimated value of 0-based rank `⌊q·(n − 1)⌋` (see the module doc), or `None` if
    /// the sketch is empty or `q` is not within `0.0..=1.0`.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if !(0.0..=1.0).contains(&q) || self.count <= 0.0 {
            return None;
        }
        let rank = q * (self.count - 1.0);
        // Buckets in ascending value order: negatives from the largest magnitude down, the
        // zeros, then positives. Signed keys: -1 stands for negatives, 0 zero, 1 positives.
        let ascending = self
            .negative
            .iter()
            .rev()
            .map(|(k, c)| ((-1i8, k), c))
            .chain((self.zero > 0.0).then_some(((0, 0), self.zero)))
            .chain(self.positive.iter().map(|(k, c)| ((1, k), c)));
        // The answer is the first bucket whose cumulative weight exceeds the rank, which is
        // also the last bucket whose preceding weight is at most the rank: high quantiles
        // walk down from the top and visit a handful of buckets instead of all of them. Both
        // compare the same exact sums when weights are integers.
        let mut seen = 0.0;
        let mut found = None;
        if q <= 0.5 {
            for (bucket, c) in ascending {
                seen += c;
                found = Some(bucket);
                if seen > rank {
                    break;
                }
            }
        } else {
            for (bucket, c) in ascending.rev() {
                seen += c;
                found = Some(bucket);
                if self.count - seen <= rank {
                    break;
                }
            }
        }
        found.map(|(sign, key)| match sign {
            -1 => -value_of(key),
            0 => 0.0,
            _ => value_of(key),
        })
    }

    /// Gives back spare bucket capacity (the store does this when a second or minute ends).
    pub fn shrink_to_fit(&mut self) {
        self.positive.shrink_to_fit();
        self.negative.shrink_to_fit();
    }

    /// Bytes this sketch holds on the heap (bucket arrays, by capacity).
    pub fn heap_bytes(&self) -> usize {
        self.positive.heap_bytes() + self.negative.heap_bytes()
    }

    /// Non-zero buckets as `(sign, key, weight)` with sign -1, 0 or 1, in value order.
    #[cfg(test)]
    fn buckets(&self) -> Vec<(i8, i32, f64)> {
        let mut out: Vec<(i8, i32, f64)> = self
            .negative
            .iter()
            .rev()
            .map(|(k, c)| (-1, k, c))
            .collect();
        if self.zero > 0.0 {
            out.push((0, 0, self.zero));
        }
        out.extend(self.positive.iter().map(|(k, c)| (1, k, c)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const QS: [f64; 13] = [
        0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0,
    ];

    fn sketch_of(values: &[f64]) -> Sketch {
        let mut s = Sketch::new();
        for &v in values {
            s.add(v);
        }
        s
    }

    /// The order statistic the sketch promises to approximate.
    fn exact(sorted: &[f64], q: f64) -> f64 {
        sorted[(q * (sorted.len() - 1) as f64).floor() as usize]
    }

    fn assert_within(est: f64, exact: f64, what: &str) {
        let tol = RELATIVE_ACCURACY * exact.abs() * (1.0 + 1e-9);
        assert!(
            (est - exact).abs() <= tol,
            "{what}: estimate {est} vs exact {exact} (error {} > {tol})",
            (est - exact).abs()
        );
    }

    #[test]
    fn constants_match_their_definition() {
        let gamma = (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY);
        assert_eq!(LN_GAMMA, gamma.ln());
        assert_eq!(INV_LN_GAMMA, 1.0 / gamma.ln());
        assert_eq!(LN_ONE_MINUS_ALPHA, (1.0 - RELATIVE_ACCURACY).ln());
    }

    #[test]
    fn empty_and_out_of_range_quantiles() {
        let mut s = Sketch::new();
        assert_eq!(s.quantile(0.5), None);
        s.add(3.0);
        assert_eq!(s.quantile(-0.1), None);
        assert_eq!(s.quantile(1.1), None);
        assert_eq!(s.quantile(f64::NAN), None);
        assert_within(s.quantile(0.0).unwrap_or(0.0), 3.0, "single");
        assert_within(s.quantile(1.0).unwrap_or(0.0), 3.0, "single");
    }

    #[test]
    fn non_finite_values_and_bad_counts_are_ignored() {
        let mut s = Sketch::new();
        s.add(f64::NAN);
        s.add(f64::INFINITY);
        s.add(f64::NEG_INFINITY);
        s.add_n(1.0, 0.0);
        s.add_n(1.0, -2.0);
        s.add_n(1.0, f64::NAN);
        s.add_n(1.0, f64::INFINITY);
        assert!(s.is_empty());
        assert_eq!(s, Sketch::new());
    }

    #[test]
    fn zeros_and_signs_are_ordered() {
        let s = sketch_of(&[-10.0, -1.0, 0.0, -0.0, 1.0, 10.0]);
        assert_eq!(s.count(), 6.0);
        assert_within(s.quantile(0.0).unwrap_or(0.0), -10.0, "min");
        assert_within(s.quantile(0.2).unwrap_or(0.0), -1.0, "rank 1");
        assert_eq!(s.quantile(0.4), Some(0.0));
        assert_eq!(s.quantile(0.6), Some(0.0));
        assert_within(s.quantile(0.8).unwrap_or(0.0), 1.0, "rank 4");
        assert_within(s.quantile(1.0).unwrap_or(0.0), 10.0, "max");
    }

    #[test]
    fn extremes_of_f64_have_buckets() {
        let s = sketch_of(&[f64::MAX, f64::MIN_POSITIVE, 5e-324, -f64::MAX]);
        assert_eq!(s.count(), 4.0);
        let top = s.quantile(1.0).unwrap_or(0.0);
        assert!(top.is_finite() && top > 1e308);
        let bottom = s.quantile(0.0).unwrap_or(0.0);
        assert!(bottom.is_finite() && bottom < -1e308);
    }

    impl Buckets {
        fn span(&self) -> usize {
            self.range().map_or(0, |(lo, hi)| (hi - lo + 1) as usize)
        }

        fn lowest_weight(&self) -> f64 {
            self.iter().next().map_or(0.0, |b| b.1)
        }

        /// Bytes per weight when dense, 0 when sparse.
        fn width(&self) -> usize {
            match self {
                Buckets::Sparse(_) => 0,
                Buckets::Dense(d) => match d.counts {
                    Counts::U8(_) => 1,
                    Counts::U16(_) => 2,
                    Counts::U32(_) => 4,
                    Counts::F64(_) => 8,
                },
            }
        }
    }

    /// A sketch whose stores are dense from the start.
    fn dense_sketch_of(values: &[f64]) -> Sketch {
        let mut s = Sketch::new();
        s.positive = Buckets::Dense(Dense::default());
        s.negative = Buckets::Dense(Dense::default());
        for &v in values {
            s.add(v);
        }
        s
    }

    #[test]
    fn bucket_count_is_bounded_and_lowest_buckets_collapse() {
        let mut s = Sketch::new();
        // 1e-300 .. 1e300 spans ~69,000 keys.
        let mut all = Vec::new();
        let mut v = 1e-300;
        while v < 1e300 {
            s.add(v);
            all.push(v);
            v *= 1.01;
        }
        assert_eq!(s.positive.span(), MAX_BUCKETS);
        assert!(s.heap_bytes() <= MAX_BUCKETS * 8);
        // The top of the distribution is still accurate.
        for q in [0.99, 0.999, 1.0] {
            assert_within(
                s.quantile(q).unwrap_or(0.0),
                exact(&all, q),
                "tail after collapse",
            );
        }
        // The bottom was collapsed upward, never below the true value.
        assert!(s.quantile(0.0).unwrap_or(0.0) > 1e-300);
    }

    #[test]
    fn descending_keys_below_a_full_window_collapse() {
        for mut s in [Sketch::new(), dense_sketch_of(&[])] {
            s.add(1e300);
            s.add(1e-300);
            s.add(1e-200);
            // The window reached down as far as it may, and both small values sit in its
            // lowest bucket.
            assert_eq!(s.positive.span(), MAX_BUCKETS);
            assert_eq!(s.positive.lowest_weight(), 2.0);
            assert_eq!(s.count(), 3.0);
            s.add(1e290);
            assert!(s.positive.span() <= MAX_BUCKETS);
            assert_eq!(s.buckets().iter().map(|b| b.2).sum::<f64>(), 4.0);
        }
    }

    #[test]
    fn weighted_adds_equal_repeated_adds() {
        let mut a = Sketch::new();
        a.add_n(2.5, 3.0);
        a.add_n(-7.0, 2.0);
        let b = sketch_of(&[2.5, 2.5, 2.5, -7.0, -7.0]);
        assert_eq!(a, b);
    }

    #[test]
    fn weights_widen_only_as_far_as_needed() {
        // Four neighbouring buckets: dense, one byte each.
        let mut s = sketch_of(&[1.0, 1.03, 1.06, 1.09]);
        assert_eq!(s.positive.width(), 1);
        s.add_n(1.0, 254.0);
        assert_eq!(s.positive.width(), 1);
        s.add(1.0);
        assert_eq!(s.positive.width(), 2);
        assert_eq!(s.positive.lowest_weight(), 256.0);
        s.add_n(1.03, 70_000.0);
        assert_eq!(s.positive.width(), 4);
        s.add_n(1.03, 5e9);
        assert_eq!(s.positive.width(), 8);
        assert_eq!(s.count(), 4.0 + 254.0 + 1.0 + 70_000.0 + 5e9);
        // Fractional weights and weights beyond u32 leave the sparse form.
        let mut f = Sketch::new();
        f.add_n(3.0, 0.5);
        assert_eq!(f.positive.width(), 8);
        assert_eq!(f.quantile(0.5), Some(value_of(key_of(3.0))));
        let mut big = Sketch::new();
        big.add_n(3.0, 4e9);
        assert_eq!(big.positive.width(), 0);
        big.add_n(3.0, 4e9);
        assert_eq!(big.positive.width(), 8);
        assert_eq!(big.positive.lowest_weight(), 8e9);
        // Merging a narrow store into a wide one and the other way round.
        let mut narrow = sketch_of(&[1.0, 2.0, 3.0]);
        let mut wide = Sketch::new();
        wide.add_n(2.0, 100_000.0);
        let mut a = narrow.clone();
        a.merge(&wide);
        narrow.add_n(2.0, 100_000.0);
        assert_eq!(a, narrow);
        wide.merge(&sketch_of(&[1.0, 2.0, 3.0]));
        assert_eq!(wide, narrow);
        // A collapse whose folded weight overflows a byte widens the store.
        let mut c = Sketch::new();
        for i in 0..200 {
            c.add(1e-300 * (1.0 + f64::from(i) / 100.0));
            c.add(1e-299);
        }
        c.add(1e300);
        assert_eq!(c.positive.lowest_weight(), 400.0);
        assert_eq!(c.positive.span(), MAX_BUCKETS);
        assert_ne!(c.positive.width(), 1);
    }

    #[test]
    fn memory_follows_the_data() {
        let mut s = Sketch::new();
        for i in 0..10_000 {
            s.add(1.0 + f64::from(i % 100) / 100.0); // 1.0 ..= 1.99
        }
        // ln(2)/ln(γ) ≈ 35 buckets of at most 10,000: dense, two bytes each.
        assert!(s.positive.span() <= 36, "{}", s.positive.span());
        assert_eq!(s.positive.width(), 2);
        assert!(s.heap_bytes() <= 36 * 2 * 3 / 2 + 4, "{}", s.heap_bytes());
        // A second's worth of latencies: 20 values over a decade, one byte per bucket.
        let mut second = Sketch::new();
        for i in 0..20 {
            second.add(1.0 + f64::from(i) * 0.45);
        }
        assert_eq!(second.positive.width(), 1);
        assert!(second.heap_bytes() <= 180, "{}", second.heap_bytes());
        // Five values two decades apart: sparse, eight bytes each.
        let few = sketch_of(&[0.5, 2.0, 7.0, 20.0, 45.0]);
        assert_eq!(few.positive.width(), 0);
        assert!(few.heap_bytes() <= 64, "{}", few.heap_bytes());
    }

    fn magnitude() -> impl Strategy<Value = f64> {
        // log-uniform over 1e-6 .. 1e6 (about 1,400 keys: no collapse).
        (-6.0f64..6.0).prop_map(|e| 10f64.powf(e))
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            6 => magnitude(),
            3 => magnitude().prop_map(|m| -m),
            1 => Just(0.0),
        ]
    }

    fn wide_value() -> impl Strategy<Value = f64> {
        // Spans far more than 2048 keys, so merges exercise collapsing.
        (-300.0f64..300.0, any::<bool>()).prop_map(|(e, neg)| {
            let m = 10f64.powf(e);
            if neg { -m } else { m }
        })
    }

    proptest! {
        #[test]
        fn every_quantile_is_within_one_percent(values in prop::collection::vec(value(), 1..600)) {
            let s = sketch_of(&values);
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            prop_assert_eq!(s.count(), values.len() as f64);
            for q in QS {
                let est = s.quantile(q);
                prop_assert!(est.is_some());
                assert_within(est.unwrap_or(f64::NAN), exact(&sorted, q), &format!("q={q}"));
            }
        }

        #[test]
        fn quantiles_of_clustered_data_are_within_one_percent(
            base in magnitude(),
            offsets in prop::collection::vec(0.0f64..0.05, 1..400),
        ) {
            // Many values a fraction of a bucket apart: boundary effects show up here.
            let values: Vec<f64> = offsets.iter().map(|o| base * (1.0 + o)).collect();
            let s = sketch_of(&values);
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            for q in QS {
                assert_within(s.quantile(q).unwrap_or(f64::NAN), exact(&sorted, q), &format!("q={q}"));
            }
        }

        #[test]
        fn merge_equals_sketch_of_concatenation(
            a in prop::collection::vec(value(), 0..300),
            b in prop::collection::vec(value(), 0..300),
        ) {
            let mut merged = sketch_of(&a);
            merged.merge(&sketch_of(&b));
            let mut all = a.clone();
            all.extend_from_slice(&b);
            let direct = sketch_of(&all);
            prop_assert_eq!(merged.buckets(), direct.buckets());
            prop_assert_eq!(merged.count(), direct.count());
            for q in QS {
                prop_assert_eq!(merged.quantile(q), direct.quantile(q));
            }
        }

        #[test]
        fn merge_equals_concatenation_even_when_collapsing(
            a in prop::collection::vec(wide_value(), 0..200),
            b in prop::collection::vec(wide_value(), 0..200),
            c in prop::collection::vec(wide_value(), 0..200),
        ) {
            // Merge in a different grouping and order than the direct adds.
            let mut merged = sketch_of(&c);
            let mut ab = sketch_of(&b);
            ab.merge(&sketch_of(&a));
            merged.merge(&ab);
            let mut all = a.clone();
            all.extend_from_slice(&b);
            all.extend_from_slice(&c);
            let direct = sketch_of(&all);
            prop_assert_eq!(merged.buckets(), direct.buckets());
            prop_assert!(merged.positive.span() <= MAX_BUCKETS);
            prop_assert!(merged.negative.span() <= MAX_BUCKETS);
        }

        #[test]
        fn representation_never_changes_a_result(
            values in prop::collection::vec(prop_oneof![value(), wide_value()], 0..300),
            weights in prop::collection::vec(1u32..1000, 300),
        ) {
            let mut sparse_first = Sketch::new();
            let mut dense = dense_sketch_of(&[]);
            for (&v, &w) in values.iter().zip(&weights) {
                sparse_first.add_n(v, f64::from(w));
                dense.add_n(v, f64::from(w));
            }
            prop_assert_eq!(sparse_first.buckets(), dense.buckets());
            for q in QS {
                prop_assert_eq!(sparse_first.quantile(q), dense.quantile(q));
            }
        }

        #[test]
        fn add_order_does_not_matter(mut values in prop::collection::vec(wide_value(), 0..300)) {
            let forward = sketch_of(&values);
            values.reverse();
            let backward = sketch_of(&values);
            prop_assert_eq!(forward.buckets(), backward.buckets());
        }
    }
}
