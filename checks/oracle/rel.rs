//! Binary relations over the events of one candidate execution, as bit
//! matrices (at most [`MAX`] events): the relation algebra of herd7's cat
//! language, written out: union, intersection, difference, sequence,
//! inverse, transitive closure, acyclicity, and `[S]` for a set of events.

/// The most events a relation can hold (one `u128` row per event).
pub const MAX: usize = 128;

/// A set of events.
pub type Set = u128;

/// A relation: `rows[a]` has bit `b` when `a -> b`.
#[derive(Clone, PartialEq, Eq)]
pub struct Rel {
    rows: Vec<u128>,
}

impl std::fmt::Debug for Rel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.pairs()).finish()
    }
}

impl Rel {
    /// The empty relation over `n` events.
    pub fn empty(n: usize) -> Rel {
        assert!(n <= MAX, "{n} events: the oracle handles at most {MAX}");
        Rel { rows: vec![0; n] }
    }

    /// The number of events.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// From pairs.
    pub fn from_pairs(n: usize, pairs: impl IntoIterator<Item = (usize, usize)>) -> Rel {
        let mut r = Rel::empty(n);
        for (a, b) in pairs {
            r.add(a, b);
        }
        r
    }

    /// `[S]`: the identity on a set.
    pub fn id(n: usize, s: Set) -> Rel {
        Rel::from_pairs(n, members(s).map(|a| (a, a)))
    }

    /// `S * T`: every pair from S to T.
    pub fn cross(n: usize, s: Set, t: Set) -> Rel {
        let mut r = Rel::empty(n);
        for a in members(s) {
            r.rows[a] = t;
        }
        r
    }

    /// Add `a -> b`.
    pub fn add(&mut self, a: usize, b: usize) {
        self.rows[a] |= 1 << b;
    }

    /// Whether `a -> b`.
    pub fn has(&self, a: usize, b: usize) -> bool {
        self.rows[a] >> b & 1 == 1
    }

    /// Every pair.
    pub fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.rows
            .iter()
            .enumerate()
            .flat_map(|(a, &row)| members(row).map(move |b| (a, b)))
    }

    /// Whether there is no pair.
    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(|&r| r == 0)
    }

    /// `self | o`.
    pub fn union(&self, o: &Rel) -> Rel {
        self.zip(o, |a, b| a | b)
    }

    /// `self & o`.
    pub fn inter(&self, o: &Rel) -> Rel {
        self.zip(o, |a, b| a & b)
    }

    /// `self \ o`.
    pub fn minus(&self, o: &Rel) -> Rel {
        self.zip(o, |a, b| a & !b)
    }

    fn zip(&self, o: &Rel, f: impl Fn(u128, u128) -> u128) -> Rel {
        assert_eq!(self.len(), o.len());
        Rel {
            rows: self
                .rows
                .iter()
                .zip(&o.rows)
                .map(|(&a, &b)| f(a, b))
                .collect(),
        }
    }

    /// `self ; o`: `a -> c` when `a -> b` in self and `b -> c` in o.
    pub fn seq(&self, o: &Rel) -> Rel {
        Rel {
            rows: self
                .rows
                .iter()
                .map(|&row| members(row).fold(0, |acc, b| acc | o.rows[b]))
                .collect(),
        }
    }

    /// `self^-1`.
    pub fn inv(&self) -> Rel {
        Rel::from_pairs(self.len(), self.pairs().map(|(a, b)| (b, a)))
    }

    /// `self+` (Warshall).
    pub fn plus(&self) -> Rel {
        let mut r = self.clone();
        for k in 0..r.len() {
            let rk = r.rows[k];
            for a in 0..r.len() {
                if r.rows[a] >> k & 1 == 1 {
                    r.rows[a] |= rk;
                }
            }
        }
        r
    }

    /// `self?`: with the identity on every event.
    pub fn opt(&self) -> Rel {
        let mut r = self.clone();
        for a in 0..r.len() {
            r.rows[a] |= 1 << a;
        }
        r
    }

    /// `[S] ; self`.
    pub fn with_domain(&self, s: Set) -> Rel {
        Rel {
            rows: self
                .rows
                .iter()
                .enumerate()
                .map(|(a, &row)| if s >> a & 1 == 1 { row } else { 0 })
                .collect(),
        }
    }

    /// `self ; [S]`.
    pub fn with_range(&self, s: Set) -> Rel {
        Rel {
            rows: self.rows.iter().map(|&row| row & s).collect(),
        }
    }

    /// Whether no `a -> a`.
    pub fn irreflexive(&self) -> bool {
        (0..self.len()).all(|a| !self.has(a, a))
    }

    /// Whether `self+` is irreflexive.
    pub fn acyclic(&self) -> bool {
        self.plus().irreflexive()
    }

    /// The events with an outgoing pair (`domain(r)`).
    pub fn domain(&self) -> Set {
        self.rows.iter().enumerate().fold(
            0,
            |acc, (a, &row)| if row != 0 { acc | 1 << a } else { acc },
        )
    }

    /// The events with an incoming pair (`range(r)`).
    pub fn range(&self) -> Set {
        self.rows.iter().fold(0, |acc, &row| acc | row)
    }
}

/// The members of a set.
pub fn members(s: Set) -> impl Iterator<Item = usize> {
    (0..MAX).filter(move |&a| s >> a & 1 == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(pairs: &[(usize, usize)]) -> Rel {
        Rel::from_pairs(5, pairs.iter().copied())
    }

    #[test]
    fn sequence_inverse_union() {
        let a = r(&[(0, 1), (1, 2)]);
        let b = r(&[(1, 3), (2, 4)]);
        assert_eq!(a.seq(&b), r(&[(0, 3), (1, 4)]));
        assert_eq!(a.inv(), r(&[(1, 0), (2, 1)]));
        assert_eq!(a.union(&b).minus(&b), a);
        assert_eq!(a.inter(&b), Rel::empty(5));
        assert_eq!(a.domain(), 0b011);
        assert_eq!(a.range(), 0b110);
    }

    #[test]
    fn closure_and_cycles() {
        let chain = r(&[(0, 1), (1, 2), (2, 3)]);
        assert_eq!(
            chain.plus(),
            r(&[(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)])
        );
        assert!(chain.acyclic());
        let cycle = r(&[(0, 1), (1, 2), (2, 0)]);
        assert!(!cycle.acyclic());
        assert!(
            cycle.irreflexive(),
            "a 3-cycle has no self-loop until closed"
        );
        assert!(!r(&[(4, 4)]).irreflexive());
    }

    #[test]
    fn identities_and_restrictions() {
        let s: Set = 0b00101;
        assert_eq!(Rel::id(5, s), r(&[(0, 0), (2, 2)]));
        let all = Rel::cross(5, 0b11111, 0b11111);
        assert_eq!(all.with_domain(s).with_range(0b00010), r(&[(0, 1), (2, 1)]));
        assert_eq!(
            Rel::id(5, s).seq(&all).with_range(0b1000),
            all.with_domain(s).with_range(0b1000)
        );
        assert_eq!(
            r(&[(0, 1)]).opt(),
            r(&[(0, 0), (0, 1), (1, 1), (2, 2), (3, 3), (4, 4)])
        );
    }
}
