//! Small programs whose answer is known by hand, for what the catalogue
//! does not show: C11 data races on plain locations, a weak
//! compare-exchange's spurious failure, the value domain.

use lwpcheck::explore::program::parse::parse;
use lwpcheck::explore::program::Verdict;

use crate::oracle::exec::domains;
use crate::oracle::{self, Model, Options};

fn verdict(src: &str, m: Model) -> (Verdict, bool) {
    let p = parse("t.litmus", src).unwrap_or_else(|e| panic!("{e}"));
    let r = oracle::run(&p, m, &Options::PUBLISHED);
    (Verdict::of(p.condition.prop(), &r.states), r.racy)
}

/// MP with plain data read whatever the flag said: when the flag is not
/// seen, the plain read races with the plain write.
#[test]
fn an_unguarded_plain_read_is_a_data_race() {
    let src = "C MP+na\n{}\nP0(int *x, atomic_int *y) {\n *x = 1;\n atomic_store_explicit(y, 1, memory_order_release);\n}\nP1(int *x, atomic_int *y) {\n int r0 = atomic_load_explicit(y, memory_order_acquire);\n int r1 = *x;\n}\nexists (1:r0=1 /\\ 1:r1=0)\n";
    for m in Model::ALL {
        let (v, racy) = verdict(src, m);
        assert!(racy, "{}: the race is not seen", m.name());
        assert_eq!(
            v,
            Verdict::Never,
            "{}: the synchronised case stays ordered",
            m.name()
        );
    }
    // With a relaxed flag even the synchronised-looking case races.
    let relaxed = src
        .replace("memory_order_release", "memory_order_relaxed")
        .replace("memory_order_acquire", "memory_order_relaxed");
    assert_eq!(verdict(&relaxed, Model::Rc11), (Verdict::Sometimes, true));
}

/// A weak compare-exchange of 0 by 1 on a location that stays 0 fails only
/// spuriously: under rc11 and arm, not under sc or tso.
#[test]
fn a_weak_cas_fails_spuriously_only_where_the_model_allows_it() {
    let src = "C CAS-weak\n{}\nP0(atomic_int *x) {\n int r0 = 0;\n int r1 = atomic_compare_exchange_weak_explicit(x, &r0, 1, memory_order_relaxed, memory_order_relaxed);\n}\nexists (0:r1=0)\n";
    assert_eq!(verdict(src, Model::Sc).0, Verdict::Never);
    assert_eq!(verdict(src, Model::Tso).0, Verdict::Never);
    assert_eq!(verdict(src, Model::Rc11).0, Verdict::Sometimes);
    assert_eq!(verdict(src, Model::Arm).0, Verdict::Sometimes);
    let strong = src.replace("_weak_", "_strong_");
    for m in Model::ALL {
        assert_eq!(verdict(&strong, m).0, Verdict::Never, "{}", m.name());
    }
}

/// Two fetch_adds make 0, 1, 2: the domain holds exactly those (a write
/// never feeds its own value), and the final value is always 2.
#[test]
fn the_value_domain_follows_the_writes() {
    let src = "C 2fadd\n{}\nP0(atomic_int *x) {\n int r0 = atomic_fetch_add_explicit(x, 1, memory_order_relaxed);\n}\nP1(atomic_int *x) {\n int r0 = atomic_fetch_add_explicit(x, 1, memory_order_relaxed);\n}\nforall (x=2 /\\ ~(0:r0=1 /\\ 1:r0=1))\n";
    let p = parse("t", src).unwrap();
    assert_eq!(domains(&p, true), vec![[0, 1, 2].into_iter().collect()]);
    for m in Model::ALL {
        let r = oracle::run(&p, m, &Options::PUBLISHED);
        assert_eq!(
            Verdict::of(p.condition.prop(), &r.states),
            Verdict::Always,
            "{}",
            m.name()
        );
        assert_eq!(
            r.graphs,
            2,
            "{}: one graph per order of the two RMWs",
            m.name()
        );
    }
}
