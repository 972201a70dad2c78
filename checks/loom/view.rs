//! The HTML counterexample view, checked in a real browser: a real loom
//! counterexample (`broken_handoff` under Arm) is rendered to a page,
//! headless Chromium takes a screenshot of it, and the screenshot must show
//! one coloured header band per thread, left to right in lane order, and the
//! failing event's highlight in the failing thread's band.
//!
//! Needs `/usr/bin/chromium`: `bash ci/install-chromium` installs it.
//! Without it the test says on one line that it skipped, why, and how to
//! run it, so `cargo test` works on a machine with only Rust; where a
//! browser is required (`CI` set, as CI services set it, or
//! `LWPCHECK_REQUIRE_BROWSER=1`, as `ci/tests` sets it) a missing browser
//! fails the test.
#![cfg(loom)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lwpcheck::explore::litmus::broken_handoff;
use lwpcheck::explore::loom::LoomCheck;
use lwpcheck::explore::{FailKind, Outcome, Verdict};
use lwpcheck::sync::Profile;
use lwpcheck::view::{failing_event, FAILING_COLOUR, LANE_COLOURS};

const CHROMIUM: &str = "/usr/bin/chromium";
const WIDTH: u32 = 1400;
const HEIGHT: u32 = 1000;
/// How long Chromium may take to start, render and save the screenshot.
const BROWSER_BUDGET: Duration = Duration::from_secs(20);

fn failing_handoff() -> Outcome {
    let out = LoomCheck::new(Profile::Arm)
        .and_then(|c| c.run(broken_handoff))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.verdict.kind(), Some(FailKind::Assertion));
    out
}

/// A fresh directory for this test's page, screenshot and browser profile.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lwpcheck-view-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("profile")).expect("create the scratch directory");
    dir
}

/// Screenshot `page` with headless Chromium into `png`.
fn screenshot(page: &Path, png: &Path, profile: &Path) {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} not found: run `bash ci/install-chromium` (this test needs a real browser)"
    );
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-color-profile=srgb",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={WIDTH},{HEIGHT}"))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {CHROMIUM}: {e}"));
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for chromium") {
            break s;
        }
        if started.elapsed() > BROWSER_BUDGET {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish the screenshot in {BROWSER_BUDGET:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    assert!(
        status.success() && png.exists(),
        "chromium failed ({status}) to write {}:\n{err}",
        png.display()
    );
}

/// The screenshot as RGB rows.
struct Image {
    width: usize,
    height: usize,
    rgb: Vec<[u8; 3]>,
}

fn decode(path: &Path) -> Image {
    let file = std::io::BufReader::new(std::fs::File::open(path).expect("open the screenshot"));
    let mut reader = png::Decoder::new(file)
        .read_info()
        .expect("a PNG screenshot");
    let mut buf = vec![0; reader.output_buffer_size().expect("PNG size")];
    let info = reader.next_frame(&mut buf).expect("decode the PNG");
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let rgb = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    Image {
        width: info.width as usize,
        height: info.height as usize,
        rgb,
    }
}

fn hex(c: &str) -> [u8; 3] {
    let v = u32::from_str_radix(c.trim_start_matches('#'), 16).expect("a #rrggbb colour");
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

/// Where a colour appears: pixel count and bounding box.
#[derive(Debug, Default)]
struct Band {
    pixels: usize,
    min_x: usize,
    max_x: usize,
    min_y: usize,
}

fn find(img: &Image, colour: [u8; 3], x_range: std::ops::Range<usize>) -> Band {
    let near = |p: [u8; 3]| (0..3).all(|i| p[i].abs_diff(colour[i]) <= 3);
    let mut b = Band {
        min_x: usize::MAX,
        min_y: usize::MAX,
        ..Band::default()
    };
    for y in 0..img.height {
        for x in x_range.clone() {
            if near(img.rgb[y * img.width + x]) {
                b.pixels += 1;
                b.min_x = b.min_x.min(x);
                b.max_x = b.max_x.max(x);
                b.min_y = b.min_y.min(y);
            }
        }
    }
    b
}

/// True if a variable that requires the browser test is set (to anything
/// but empty, `0` or `false`).
fn browser_required() -> bool {
    ["CI", "LWPCHECK_REQUIRE_BROWSER"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|x| !matches!(x.trim(), "" | "0" | "false" | "FALSE")))
}

#[test]
fn html_counterexample_renders_in_chromium() {
    if !Path::new(CHROMIUM).exists() && !browser_required() {
        eprintln!(
            "skipped html_counterexample_renders_in_chromium: {CHROMIUM} not found; \
             run `bash ci/install-chromium` to install it (set LWPCHECK_REQUIRE_BROWSER=1, \
             or CI, to make a missing browser a failure)"
        );
        return;
    }
    let out = failing_handoff();
    let Verdict::Fail(failure) = &out.verdict else {
        unreachable!()
    };
    let lanes = out.trace.threads.len();
    assert_eq!(lanes, 3, "main, writer, reader");
    let failing = failing_event(&out.trace, Some(failure)).expect("a failing event");
    let failing_lane = out.trace.events[failing].lane;
    assert_eq!(out.trace.thread_name(failing_lane), "reader");

    let dir = scratch();
    let page = dir.join("counterexample.html");
    let png = dir.join("screenshot.png");
    let html = lwpcheck::view::counterexample_html(&out, "broken_handoff / loom arm <&>")
        .expect("a failing outcome has a page");
    std::fs::write(&page, &html).expect("write the page");
    screenshot(&page, &png, &dir.join("profile"));
    let img = decode(&png);
    assert_eq!((img.width, img.height), (WIDTH as usize, HEIGHT as usize));

    // One band per thread, in lane order, each starting near the top (the
    // header), and no band for a lane that does not exist.
    let bands: Vec<Band> = (0..lanes)
        .map(|l| find(&img, hex(LANE_COLOURS[l]), 0..img.width))
        .collect();
    for (l, b) in bands.iter().enumerate() {
        assert!(
            b.pixels > 2000,
            "lane {l} header colour barely shows: {b:?} (screenshot {})",
            png.display()
        );
        assert!(b.min_y < 150, "lane {l} header not at the top: {b:?}");
    }
    for w in bands.windows(2) {
        assert!(
            w[0].max_x < w[1].min_x,
            "lane bands overlap or are out of order: {bands:?}"
        );
    }
    let extra = find(&img, hex(LANE_COLOURS[lanes]), 0..img.width);
    assert!(
        extra.pixels < 50,
        "a band for a lane that does not exist: {extra:?}"
    );

    // The failing event's highlight, in the failing lane's band only.
    let fail = hex(FAILING_COLOUR);
    let b = &bands[failing_lane];
    let inside = find(&img, fail, b.min_x..b.max_x + 1);
    assert!(
        inside.pixels > 3000,
        "no failing-event highlight in lane {failing_lane}: {inside:?} (screenshot {})",
        png.display()
    );
    let everywhere = find(&img, fail, 0..img.width);
    assert_eq!(
        everywhere.pixels, inside.pixels,
        "highlight colour outside the failing lane"
    );
    if std::env::var_os("LWPCHECK_KEEP_SCREENSHOT").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("kept {}", png.display());
    }
}
