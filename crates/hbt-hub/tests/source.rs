//! Parsing model references, and their `Display` round trip.

use std::path::PathBuf;

use hbt_hub::{HubError, ModelSource};

fn hub(repo: &str, revision: Option<&str>) -> ModelSource {
    ModelSource::Hub {
        repo: repo.into(),
        revision: revision.map(str::to_string),
    }
}

#[test]
fn q4_prefix_names_a_file() {
    assert_eq!(
        ModelSource::parse("q4:/models/e5-small.q4").unwrap(),
        ModelSource::Q4(PathBuf::from("/models/e5-small.q4"))
    );
    // The file need not exist yet: resolve checks it.
    assert_eq!(
        ModelSource::parse("q4:weights.bin").unwrap(),
        ModelSource::Q4(PathBuf::from("weights.bin"))
    );
    let err = ModelSource::parse("q4:").unwrap_err();
    assert!(matches!(err, HubError::EmptyQ4Path { .. }), "{err:?}");
}

#[test]
fn hf_prefix_is_always_the_hub() {
    assert_eq!(
        ModelSource::parse("hf:intfloat/multilingual-e5-small").unwrap(),
        hub("intfloat/multilingual-e5-small", None)
    );
    assert_eq!(
        ModelSource::parse("hf:intfloat/multilingual-e5-small@v1.0").unwrap(),
        hub("intfloat/multilingual-e5-small", Some("v1.0"))
    );
    assert_eq!(
        ModelSource::parse("hf:org/name@refs/pr/1").unwrap(),
        hub("org/name", Some("refs/pr/1"))
    );
    // `src/lib.rs` exists (tests run in the crate folder) and also looks like ORG/NAME.
    assert!(std::path::Path::new("src/lib.rs").exists());
    assert_eq!(
        ModelSource::parse("src/lib.rs").unwrap(),
        ModelSource::Folder(PathBuf::from("src/lib.rs"))
    );
    assert_eq!(
        ModelSource::parse("hf:src/lib.rs").unwrap(),
        hub("src/lib.rs", None)
    );
}

#[test]
fn existing_folder_is_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().to_str().unwrap();
    assert_eq!(
        ModelSource::parse(text).unwrap(),
        ModelSource::Folder(dir.path().to_path_buf())
    );
}

#[test]
fn bare_hub_id_is_the_hub() {
    assert_eq!(
        ModelSource::parse("sentence-transformers/LaBSE").unwrap(),
        hub("sentence-transformers/LaBSE", None)
    );
    assert_eq!(
        ModelSource::parse("FacebookAI/xlm-roberta-base@main").unwrap(),
        hub("FacebookAI/xlm-roberta-base", Some("main"))
    );
}

#[test]
fn display_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let sources = [
        ModelSource::Folder(dir.path().to_path_buf()),
        ModelSource::Folder(PathBuf::from("src")),
        ModelSource::Q4(PathBuf::from("/models/e5.q4")),
        hub("intfloat/multilingual-e5-small", None),
        hub("intfloat/multilingual-e5-small", Some("refs/pr/7")),
        hub("src/lib.rs", None),
    ];
    for source in sources {
        let text = source.to_string();
        assert_eq!(ModelSource::parse(&text).unwrap(), source, "{text}");
        assert_eq!(text.parse::<ModelSource>().unwrap(), source, "{text}");
    }
    assert_eq!(hub("a/b", Some("v1")).to_string(), "hf:a/b@v1");
    assert_eq!(ModelSource::Q4("x.q4".into()).to_string(), "q4:x.q4");
}

#[test]
fn bad_text_error_names_it() {
    for text in [
        "no/such/folder",
        "just-a-name",
        "org/name@",
        "org/na me",
        "-org/name",
        "org/name@../../etc",
        "",
    ] {
        let err = ModelSource::parse(text).unwrap_err();
        assert!(
            matches!(err, HubError::UnknownSource { .. }),
            "{text}: {err:?}"
        );
        let message = err.to_string();
        assert!(message.contains(&format!("`{text}`")), "{message}");
        assert!(message.contains("neither an existing folder nor a hub id ORG/NAME"));
        assert!(!message.contains('\n'));
    }
    let err = ModelSource::parse("hf:not a repo").unwrap_err();
    assert!(matches!(err, HubError::InvalidHubId { .. }), "{err:?}");
    assert!(err.to_string().contains("`hf:not a repo`"), "{err}");
}
