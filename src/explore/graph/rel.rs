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

    pub(crate) fn has(&self, a: usize, b: usize) -> bool {
        self.rows[a * self.words + b / 64] & (1 << (b % 64)) != 0
    }

    fn row(&self, a: usize) -> &[u64] {
        &self.rows[a * self.words..(a + 1) * self.words]
    }

    /// The pairs, in order.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.n).flat_map(move |a| {
            (0..self.n)
                .filter(move |&b| self.has(a, b))
                .map(move |b| (a, b))
        })
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
        for a in 0..self.n {
            for b in 0..self.n {
                if self.has(a, b) {
                    let w = self.words;
                    let (dst, src) = (a * w, b * w);
                    for k in 0..w {
                        r.rows[dst + k] |= other.rows[src + k];
                    }
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

    /// `[dom] ; self ; [range]`.
    pub(crate) fn restrict(&self, dom: &Set, range: &Set) -> Rel {
        let mut r = Rel::new(self.n);
        for (a, _) in dom.iter().enumerate().filter(|(_, &d)| d) {
            for (b, _) in range.iter().enumerate().filter(|(_, &x)| x) {
                if self.has(a, b) {
                    r.add(a, b);
                }
            }
        }
        r
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

    /// No cycle.
    pub(crate) fn acyclic(&self) -> bool {
        self.plus().irreflexive()
    }

    /// No pair.
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.iter().all(|&x| x == 0)
    }
}
