//! Binary relations over a graph's events, as bit matrices: the algebra the
//! models' axioms are written in (union, sequence, inverse, transitive
//! closure, restriction to a set).

/// A relation over events `0..n`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rel {
    n: usize,
    words: usize,
    rows: Vec<u64>,
}

/// A set of events.
pub(crate) type Set = Vec<bool>;

/// The set bits of a row of words (bit `b` of word `k` is `k * 64 + b`),
/// in order.
pub(crate) fn bits(row: &[u64]) -> impl Iterator<Item = usize> + '_ {
    row.iter().enumerate().flat_map(|(k, &w)| {
        let mut w = w;
        std::iter::from_fn(move || {
            (w != 0).then(|| {
                let b = w.trailing_zeros() as usize;
                w &= w - 1;
                k * 64 + b
            })
        })
    })
}

impl Rel {
    /// The empty relation.
    pub(crate) fn new(n: usize) -> Rel {
        let words = n.div_ceil(64).max(1);
        Rel {
            n,
            words,
            rows: vec![0; n * words],
        }
    }

    pub(crate) fn add(&mut self, a: usize, b: usize) {
        self.rows[a * self.words + b / 64] |= 1 << (b % 64);
    }

    pub(crate) fn remove(&mut self, a: usize, b: usize) {
        self.rows[a * self.words + b / 64] &= !(1 << (b % 64));
    }

    pub(crate) fn has(&self, a: usize, b: usize) -> bool {
        self.rows[a * self.words + b / 64] & (1 << (b % 64)) != 0
    }

    /// `a`'s successors as a row of bits.
    pub(crate) fn row(&self, a: usize) -> &[u64] {
        &self.rows[a * self.words..(a + 1) * self.words]
    }

    /// `a`'s row, to change (bits at `n` or above must stay clear).
    pub(crate) fn row_mut(&mut self, a: usize) -> &mut [u64] {
        &mut self.rows[a * self.words..(a + 1) * self.words]
    }

    /// Row `src` or-ed into row `dst`.
    pub(crate) fn or_row_into(&mut self, src: usize, dst: usize) {
        let w = self.words;
        for k in 0..w {
            let x = self.rows[src * w + k];
            self.rows[dst * w + k] |= x;
        }
    }

    /// The `b` with `(a, b)`, in order (word by word, set bits only).
    fn succs(&self, a: usize) -> impl Iterator<Item = usize> + '_ {
        bits(self.row(a))
    }

    /// The pairs, in order.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.n).flat_map(move |a| self.succs(a).map(move |b| (a, b)))
    }

    /// Every pair.
    pub(crate) fn full(n: usize) -> Rel {
        Rel::same_class(n, |_| Some(0))
    }

    /// `(a, b)` when `class(a)` and `class(b)` are the same `Some`.
    pub(crate) fn same_class(n: usize, class: impl Fn(usize) -> Option<usize>) -> Rel {
        let mut r = Rel::new(n);
        let mut members: std::collections::HashMap<usize, Vec<u64>> = Default::default();
        for a in 0..n {
            if let Some(c) = class(a) {
                let m = members.entry(c).or_insert_with(|| vec![0; r.words]);
                m[a / 64] |= 1 << (a % 64);
            }
        }
        for a in 0..n {
            if let Some(m) = class(a).and_then(|c| members.get(&c)) {
                r.rows[a * r.words..(a + 1) * r.words].copy_from_slice(m);
            }
        }
        r
    }

    /// The transitive closure of the edges `succ` (from each event), all
    /// of which go forward (`a < b`): each row is computed from the rows
    /// after it, in one backward pass.
    pub(crate) fn closure_of_forward(n: usize, succ: &[Vec<usize>]) -> Rel {
        let mut r = Rel::new(n);
        let w = r.words;
        for a in (0..n).rev() {
            for &b in &succ[a] {
                assert!(
                    b > a,
                    "closure_of_forward: an edge {a} -> {b} goes backward"
                );
                r.add(a, b);
                let (head, tail) = r.rows.split_at_mut(b * w);
                for k in 0..w {
                    head[a * w + k] |= tail[k];
                }
            }
        }
        r
    }

    /// `self ∪ other`.
    pub(crate) fn union(&self, other: &Rel) -> Rel {
        let mut r = self.clone();
        for (x, y) in r.rows.iter_mut().zip(&other.rows) {
            *x |= *y;
        }
        r
    }

    /// `self ∩ other`.
    pub(crate) fn inter(&self, other: &Rel) -> Rel {
        let mut r = self.clone();
        for (x, y) in r.rows.iter_mut().zip(&other.rows) {
            *x &= *y;
        }
        r
    }

    /// `self \ other`.
    pub(crate) fn minus(&self, other: &Rel) -> Rel {
        let mut r = self.clone();
        for (x, y) in r.rows.iter_mut().zip(&other.rows) {
            *x &= !*y;
        }
        r
    }

    /// `self ; other`.
    pub(crate) fn seq(&self, other: &Rel) -> Rel {
        let mut r = Rel::new(self.n);
        let w = self.words;
        for a in 0..self.n {
            for b in self.succs(a) {
                let (dst, src) = (a * w, b * w);
                for k in 0..w {
                    r.rows[dst + k] |= other.rows[src + k];
                }
            }
        }
        r
    }

    /// `self⁻¹`.
    pub(crate) fn inverse(&self) -> Rel {
        let mut r = Rel::new(self.n);
        for (a, b) in self.pairs().collect::<Vec<_>>() {
            r.add(b, a);
        }
        r
    }

    /// `[dom] ; self ; [range]` (row by row, the range as a mask).
    pub(crate) fn restrict(&self, dom: &Set, range: &Set) -> Rel {
        let mut r = Rel::new(self.n);
        let mask = self.mask(range);
        let w = self.words;
        for (a, _) in dom.iter().enumerate().filter(|(_, &d)| d) {
            let src = &self.rows[a * w..(a + 1) * w];
            for ((dst, x), m) in r.rows[a * w..(a + 1) * w].iter_mut().zip(src).zip(&mask) {
                *dst = x & m;
            }
        }
        r
    }

    /// `self ; [s]`.
    pub(crate) fn cols(&self, s: &Set) -> Rel {
        let all = vec![true; self.n];
        self.restrict(&all, s)
    }

    /// The set `s` as a row of bits.
    fn mask(&self, s: &Set) -> Vec<u64> {
        let mut m = vec![0u64; self.words];
        for (b, _) in s.iter().enumerate().filter(|(_, &x)| x) {
            m[b / 64] |= 1 << (b % 64);
        }
        m
    }

    /// `[s]` (the identity on `s`).
    pub(crate) fn id(s: &Set) -> Rel {
        let mut r = Rel::new(s.len());
        for (a, &x) in s.iter().enumerate() {
            if x {
                r.add(a, a);
            }
        }
        r
    }

    /// `self ∪ id`.
    pub(crate) fn opt(&self) -> Rel {
        let mut r = self.clone();
        for a in 0..self.n {
            r.add(a, a);
        }
        r
    }

    /// `self⁺` (Warshall).
    pub(crate) fn plus(&self) -> Rel {
        let mut r = self.clone();
        let w = self.words;
        for k in 0..self.n {
            let rowk: Vec<u64> = r.row(k).to_vec();
            for a in 0..self.n {
                if r.has(a, k) {
                    for (j, x) in rowk.iter().enumerate() {
                        r.rows[a * w + j] |= x;
                    }
                }
            }
        }
        r
    }

    /// `self*`.
    pub(crate) fn star(&self) -> Rel {
        self.plus().opt()
    }

    /// No `(a, a)`.
    pub(crate) fn irreflexive(&self) -> bool {
        (0..self.n).all(|a| !self.has(a, a))
    }

    /// No cycle: a depth-first search over the rows' set bits (no closure
    /// is built, nothing is allocated per event).
    pub(crate) fn acyclic(&self) -> bool {
        // 0 unvisited, 1 on the stack, 2 done.
        let mut state = vec![0u8; self.n];
        // (event, index of the word being scanned, its bits not yet seen)
        let mut stack: Vec<(usize, usize, u64)> = Vec::new();
        for root in 0..self.n {
            if state[root] != 0 {
                continue;
            }
            state[root] = 1;
            stack.push((root, 0, self.rows[root * self.words]));
            while let Some(top) = stack.last_mut() {
                let (a, k, bits) = *top;
                if bits == 0 {
                    if k + 1 < self.words {
                        *top = (a, k + 1, self.rows[a * self.words + k + 1]);
                    } else {
                        state[a] = 2;
                        stack.pop();
                    }
                    continue;
                }
                top.2 = bits & (bits - 1);
                let b = k * 64 + bits.trailing_zeros() as usize;
                match state[b] {
                    1 => return false,
                    0 => {
                        state[b] = 1;
                        stack.push((b, 0, self.rows[b * self.words]));
                    }
                    _ => {}
                }
            }
        }
        true
    }

    /// No pair.
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.iter().all(|&x| x == 0)
    }
}
