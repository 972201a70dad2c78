//! The kernel models: one folder each, holding the port, its variants, its
//! scenarios and its expectation table.
//!
//! | model | kernel | protocol |
//! | --- | --- | --- |
//! | [`tidhash`] | illumos `lwp.c` | the tid hash that grows while `lwp_hash_lookup_and_lock` reads it without `p_lock` |
//! | [`lwplock`] | NetBSD `kern_lwp.c` 1.54 and 1.157 | the lent LWP lock: `lwp_lock`, `lwp_setlock`, `lwp_unlock_to`, `lwp_relock` |
//! | [`refcount`] | NetBSD `kern_lwp.c` 1.54 and 1.157 | the reference drain before an LWP is freed |
//! | [`tdfind`] | FreeBSD `kern_thread.c` (2024) | `tdfind` on type-stable memory, with move-to-front under `rw_try_upgrade` |
//! | [`zombies`] | FreeBSD `kern_thread.c` (2002 and 2024) | the zombie list and the exiting-thread count |
//!
//! A model depends only on the facade ([`crate::sync`]), the runner's
//! property checks ([`crate::explore`]) and the model trait
//! ([`crate::model`]); the tool (`crate::tool`) depends on the models, never
//! the other way round (`checks/tool/layout.rs` enforces it).

pub mod lwplock;
pub mod refcount;
pub mod tdfind;
pub mod tidhash;
pub mod zombies;
