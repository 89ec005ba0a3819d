//! Shared by the integration tests: loading the packs they run against.
#![allow(dead_code)]

use extortion_guard::rules::load_path;
use extortion_guard::Detector;
use std::path::{Path, PathBuf};

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A detector from a rules folder of the repository; panics with every problem if it is broken.
pub fn detector(relative: &str) -> Detector {
    let (set, _) = load_path(&repo_path(relative)).unwrap_or_else(|p| panic!("{relative}: {p:#?}"));
    let (d, _) = Detector::new(set).unwrap_or_else(|p| panic!("{relative}: {p:#?}"));
    d
}
