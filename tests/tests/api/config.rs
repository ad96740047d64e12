use api::config::{Config, Environment};
use tests::default_settings;

#[test]
fn without_a_secret_development_generates_one_and_keeps_it() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut settings = default_settings(dir.path());
    settings.jwt_secret = None;
    let first = Config::resolve(settings.clone()).expect("resolves");
    let kept = dir.path().join("jwt-secret");
    assert!(kept.exists(), "the secret is kept in DATA_DIR");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&kept)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "only the owner may read the secret");
    }
    let second = Config::resolve(settings).expect("resolves again");
    assert_eq!(
        first.jwt_secret.expose(),
        second.jwt_secret.expose(),
        "the same secret after a restart"
    );
    assert!(first.jwt_secret.expose().len() >= 32);
    assert_eq!(
        format!("{:?}", first.jwt_secret),
        "Secret(…)",
        "never printed"
    );
}

#[test]
fn production_refuses_to_start_without_a_secret() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut settings = default_settings(dir.path());
    settings.jwt_secret = None;
    settings.app_env = Environment::Production;
    let error = Config::resolve(settings).expect_err("refused");
    assert!(error.to_string().contains("JWT_SECRET"));
}

#[test]
fn a_short_secret_is_refused() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut settings = default_settings(dir.path());
    settings.jwt_secret = Some("too short".to_owned());
    assert!(Config::resolve(settings).is_err());
}

#[test]
fn a_short_or_empty_metrics_token_is_refused() {
    let dir = tempfile::tempdir().expect("temporary folder");
    for token in ["", "metrics"] {
        let mut settings = default_settings(dir.path());
        settings.metrics_token = Some(token.to_owned());
        let refusal = Config::resolve(settings)
            .err()
            .map(|error| error.to_string());
        assert_eq!(
            refusal.as_deref(),
            Some("METRICS_TOKEN must be at least 32 bytes long"),
            "{token:?} would let anyone read the metrics"
        );
    }
}

#[test]
fn links_use_the_public_address() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut settings = default_settings(dir.path());
    settings.public_url = Some("https://network.example.org/app/".parse().expect("url"));
    let config = Config::resolve(settings).expect("resolves");
    assert_eq!(
        config.link("/invitations/accept", &[("token", "a+b")]),
        "https://network.example.org/app/invitations/accept?token=a%2Bb"
    );
}

#[tokio::test]
async fn smtp_url_takes_a_login_and_tls_and_never_repeats_the_password() {
    use api::mailing::outbox::Mailer;
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut settings = default_settings(dir.path());
    for url in [
        "smtp://127.0.0.1:2525",
        "smtp://updates:s3cret@mail.example.org:587?tls=required",
        "smtps://updates:s3cret@mail.example.org",
    ] {
        settings.smtp_url = Some(url.to_owned());
        let config = Config::resolve(settings.clone()).expect("resolves");
        assert!(Mailer::from_config(&config).is_ok(), "{url} is accepted");
    }
    for (url, why) in [
        (
            "imap://updates:hunter2-secret@mail.example.org",
            "SMTP_URL must look like",
        ),
        (
            "smtp://updates:hunter2-secret@mail.example.org:587",
            "a password but no TLS",
        ),
        (
            "smtp://updates:hunter2-secret@mail.example.org:587?tls=opportunistic",
            "a password but no TLS",
        ),
    ] {
        settings.smtp_url = Some(url.to_owned());
        let config = Config::resolve(settings.clone()).expect("resolves");
        assert!(
            !format!("{config:?}").contains("hunter2-secret"),
            "the settings never print the password"
        );
        let refusal = match Mailer::from_config(&config) {
            Ok(_) => panic!("{url} is refused"),
            Err(error) => error.to_string(),
        };
        assert!(refusal.contains(why), "{url}: {refusal}");
        assert!(!refusal.contains("hunter2-secret"), "{refusal}");
    }
}
