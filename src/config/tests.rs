//! Unit tests for configuration parsing.

use super::*;
use crate::host::ApiHost;
use secrecy::ExposeSecret;

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let owned: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| {
        owned
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

const CREDS: [(&str, &str); 2] = [
    ("KLARNA_API_USERNAME", "merchant"),
    ("KLARNA_API_PASSWORD", "s3cret"),
];

#[test]
fn defaults_are_safe_and_start_without_credentials() {
    let c = Config::from_vars(vars(&[])).unwrap();
    let missing = |c: &Config| c.client.credentials.for_host(ApiHost::Eu).unwrap_err().0;
    assert!(missing(&c).contains("KLARNA_API_KEY") && missing(&c).contains("KLARNA_EU_API_KEY"));
    assert_eq!(c.hosts.default_host, ApiHost::Eu);
    assert_eq!(c.hosts.restriction, None);
    assert!(!c.read_only && !c.include_personal_data && c.demo.is_none());
    assert_eq!(c.confirm_writes, ConfirmWrites::Auto);
    assert_eq!(c.tools, None);
    let c = Config::from_vars(vars(&[("KLARNA_API_USERNAME", "u")])).unwrap();
    assert!(
        missing(&c).contains("KLARNA_API_PASSWORD"),
        "{}",
        missing(&c)
    );
}

#[test]
fn a_missing_credential_message_names_the_variables_and_the_fix() {
    let c = Config::from_vars(vars(&[])).unwrap();
    let text = c
        .client
        .credentials
        .for_host(ApiHost::Na)
        .unwrap_err()
        .to_string();
    for needed in [
        "KLARNA_NA_API_KEY",
        "KLARNA_API_KEY",
        "api-na.klarna.com",
        "--demo",
    ] {
        assert!(text.contains(needed), "{needed}: {text}");
    }
}

#[test]
fn base_url_allows_https_anywhere_and_http_only_on_loopback() {
    for ok in [
        "https://gateway.example/klarna",
        "http://127.0.0.1:8088",
        "http://localhost:1",
        "http://[::1]:9",
        "http://127.0.0.1:8088/{apiHost}",
        "https://{apiHost}.gateway.example",
    ] {
        let c = Config::from_vars(vars(&[("KLARNA_BASE_URL", ok)])).unwrap();
        assert!(c.client.base_url.is_some(), "{ok}");
    }
    for bad in [
        "http://10.0.0.5:80",
        "http://example.com",
        "ftp://127.0.0.1",
        "not a url",
        "https://u:p@gw.example",
        "https://gw.example/?x=1",
        "http://{apiHost}:8088",
    ] {
        let err = Config::from_vars(vars(&[("KLARNA_BASE_URL", bad)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("KLARNA_BASE_URL"), "{bad}: {err}");
    }
    let err = Config::from_vars(vars(&[(
        "KLARNA_BASE_URL",
        "https://user:hunter2@gw.example",
    )]))
    .unwrap_err()
    .to_string();
    assert!(!err.contains("hunter2"), "{err}");
}

/// A template whose `{apiHost}` is normalised away would send every host's credentials to one
/// URL: refused at start, naming the host it loses.
#[test]
fn a_base_url_template_that_collapses_hosts_is_refused() {
    for bad in [
        "http://127.0.0.1:8088/{apiHost}/..",
        "http://127.0.0.1:8088/x/{apiHost}/../",
        "https://gw.example/{apiHost}/%2e%2e",
    ] {
        let err = Config::from_vars(vars(&[("KLARNA_BASE_URL", bad)]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a URL of its own that still names it"),
            "{bad}: {err}"
        );
    }
    for ok in [
        "http://127.0.0.1:8088/{apiHost}/",
        "http://127.0.0.1:8088/prefix/{apiHost}/suffix",
    ] {
        assert!(
            Config::from_vars(vars(&[("KLARNA_BASE_URL", ok)])).is_ok(),
            "{ok}"
        );
    }
}

#[test]
fn environment_restricts_hosts_and_picks_its_eu_default() {
    let c = Config::from_vars(vars(&[("KLARNA_ENVIRONMENT", "playground")])).unwrap();
    assert_eq!(c.hosts.default_host, ApiHost::EuPlayground);
    assert!(c.hosts.resolve(Some("api.klarna.com")).is_err());
    let c = Config::from_vars(vars(&[("KLARNA_ENVIRONMENT", "production")])).unwrap();
    assert_eq!(c.hosts.default_host, ApiHost::Eu);
    assert!(c.hosts.resolve(Some("api.playground.klarna.com")).is_err());
    assert!(
        Config::from_vars(vars(&[("KLARNA_ENVIRONMENT", "staging")]))
            .unwrap_err()
            .to_string()
            .contains("playground")
    );
}

#[test]
fn a_default_api_key_serves_only_its_environment_and_contradictions_stop_startup() {
    let c = Config::from_vars(vars(&[("KLARNA_API_KEY", "klarna_test_api_abc")])).unwrap();
    assert_eq!(c.hosts.default_host, ApiHost::EuPlayground);
    let creds = &c.client.credentials;
    assert!(creds.for_host(ApiHost::NaPlayground).is_ok());
    let err = creds.for_host(ApiHost::Na).unwrap_err().to_string();
    assert!(
        err.contains("playground API key") && err.contains("KLARNA_NA_API_KEY"),
        "{err}"
    );
    assert!(!err.contains("klarna_test_api_abc"), "{err}");
    let err = Config::from_vars(vars(&[
        ("KLARNA_API_USERNAME", "u"),
        ("KLARNA_API_PASSWORD", "klarna_live_api_abc"),
        ("KLARNA_ENVIRONMENT", "playground"),
    ]))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("KLARNA_ENVIRONMENT=playground") && err.contains("production"),
        "{err}"
    );
    assert!(!err.contains("klarna_live_api_abc"), "{err}");
}

#[test]
fn each_host_can_have_its_own_set_and_others_fall_back_to_the_default() {
    let c = Config::from_vars(vars(&[
        ("KLARNA_API_USERNAME", "eu-user"),
        ("KLARNA_API_PASSWORD", "eu-pass"),
        ("KLARNA_NA_API_KEY", "klarna_live_api_na"),
        ("KLARNA_OC_PLAYGROUND_API_USERNAME", "oc-user"),
        ("KLARNA_OC_PLAYGROUND_API_KEY", "klarna_test_api_oc"),
    ]))
    .unwrap();
    let creds = &c.client.credentials;
    let eu = creds.for_host(ApiHost::Eu).unwrap();
    assert_eq!(eu.source, "KLARNA_API_USERNAME/KLARNA_API_PASSWORD");
    let na = creds.for_host(ApiHost::Na).unwrap();
    assert_eq!(
        (na.username.as_deref(), na.secret.expose_secret()),
        (None, "klarna_live_api_na")
    );
    assert_eq!(na.source, "KLARNA_NA_API_KEY");
    assert_eq!(na.authorization().unwrap(), "Basic klarna_live_api_na");
    let oc = creds.for_host(ApiHost::OcPlayground).unwrap();
    assert_eq!(
        oc.source,
        "KLARNA_OC_PLAYGROUND_API_USERNAME/KLARNA_OC_PLAYGROUND_API_KEY"
    );
    // no prefix on the default password: it may serve any host without a set of its own
    assert_eq!(creds.for_host(ApiHost::Oc).unwrap().source, eu.source);
    assert_eq!(creds.usable().len(), 6);
    let described = c.describe();
    assert!(
        described.contains("api-na.klarna.com from KLARNA_NA_API_KEY"),
        "{described}"
    );
    assert!(
        !described.contains("klarna_live_api_na") && !described.contains("eu-pass"),
        "{described}"
    );
}

#[test]
fn a_key_alone_logs_in_and_a_scoped_set_alone_picks_the_default_host() {
    let c = Config::from_vars(vars(&[("KLARNA_NA_API_KEY", "klarna_live_api_x")])).unwrap();
    assert_eq!(c.hosts.default_host, ApiHost::Na);
    assert_eq!(c.client.credentials.usable().len(), 1);
    let err = c
        .client
        .credentials
        .for_host(ApiHost::Eu)
        .unwrap_err()
        .to_string();
    assert!(err.contains("KLARNA_EU_API_KEY"), "{err}");
}

#[test]
fn a_key_in_the_wrong_environments_set_stops_startup() {
    for (var, key, host) in [
        (
            "KLARNA_NA_API_KEY",
            "klarna_test_api_x",
            "api-na.klarna.com",
        ),
        (
            "KLARNA_EU_PLAYGROUND_API_KEY",
            "klarna_live_api_x",
            "api.playground.klarna.com",
        ),
    ] {
        let err = Config::from_vars(vars(&[(var, key)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(var) && err.contains(host), "{err}");
        assert!(!err.contains(key), "{err}");
    }
    let err = Config::from_vars(vars(&[
        ("KLARNA_NA_API_KEY", "klarna_live_api_x"),
        ("KLARNA_ENVIRONMENT", "playground"),
    ]))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("KLARNA_NA_API_KEY") && err.contains("KLARNA_ENVIRONMENT"),
        "{err}"
    );
    let err = Config::from_vars(vars(&[
        ("KLARNA_API_PASSWORD", "p"),
        ("KLARNA_API_KEY", "k"),
    ]))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("both KLARNA_API_PASSWORD and KLARNA_API_KEY"),
        "{err}"
    );
}

#[test]
fn api_host_sets_the_default_and_must_match_the_environment() {
    let c = Config::from_vars(vars(&[("KLARNA_API_HOST", "API-NA.klarna.com")])).unwrap();
    assert_eq!(c.hosts.default_host, ApiHost::Na);
    assert!(
        Config::from_vars(vars(&[("KLARNA_API_HOST", "evil.example")]))
            .unwrap_err()
            .to_string()
            .contains("KLARNA_API_HOST")
    );
    let err = Config::from_vars(vars(&[
        ("KLARNA_API_HOST", "api-na.klarna.com"),
        ("KLARNA_ENVIRONMENT", "playground"),
    ]))
    .unwrap_err()
    .to_string();
    assert!(err.contains("KLARNA_API_HOST"), "{err}");
}

#[test]
fn read_only_and_tool_lists_are_parsed() {
    let c = Config::from_vars(vars(&[("KLARNA_READ_ONLY", "true")])).unwrap();
    assert!(c.read_only);
    let c = Config::from_vars(vars(&[("KLARNA_TOOLS", "get_order, refund_order,")])).unwrap();
    let names: Vec<&str> = c
        .tools
        .as_ref()
        .unwrap()
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(names, ["get_order", "refund_order"]);
    assert!(Config::from_vars(vars(&[("KLARNA_TOOLS", " , ")])).is_err());
    assert!(Config::from_vars(vars(&[("KLARNA_READ_ONLY", "maybe")])).is_err());
}

#[test]
fn caps_confirmation_privacy_and_log_format_parse() {
    let c = Config::from_vars(vars(&[
        ("KLARNA_MAX_CAPTURE_AMOUNT", "50000"),
        ("KLARNA_MAX_REFUND_AMOUNT", "100"),
        ("KLARNA_CONFIRM_WRITES", "Always"),
        ("KLARNA_INCLUDE_PERSONAL_DATA", "yes"),
        ("KLARNA_LOG_FORMAT", "json"),
    ]))
    .unwrap();
    assert_eq!(
        (c.max_capture_amount, c.max_refund_amount),
        (Some(50000), Some(100))
    );
    assert_eq!(c.confirm_writes, ConfirmWrites::Always);
    assert!(c.include_personal_data);
    assert_eq!(c.log_format, LogFormat::Json);
    for (var, bad) in [
        ("KLARNA_MAX_CAPTURE_AMOUNT", "0"),
        ("KLARNA_MAX_REFUND_AMOUNT", "1.5"),
        ("KLARNA_CONFIRM_WRITES", "sometimes"),
        ("KLARNA_LOG_FORMAT", "xml"),
        ("KLARNA_MAX_RETRIES", "-1"),
        ("KLARNA_MAX_RETRIES", "11"),
        ("KLARNA_TIMEOUT_SECS", "0"),
        ("KLARNA_TIMEOUT_SECS", "abc"),
    ] {
        let err = Config::from_vars(vars(&[(var, bad)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(var), "{var}={bad}: {err}");
    }
}

#[test]
fn retries_and_timeout_are_configurable() {
    let c = Config::from_vars(vars(&[
        ("KLARNA_MAX_RETRIES", "0"),
        ("KLARNA_TIMEOUT_SECS", "5"),
    ]))
    .unwrap();
    assert_eq!(c.client.retry.max_retries, 0);
    assert_eq!(c.client.retry.budget, Duration::from_secs(5));
}

#[test]
fn describe_and_debug_never_show_the_password() {
    let c = Config::from_vars(vars(&CREDS)).unwrap();
    let text = format!("{} {:?}", c.describe(), c);
    assert!(!text.contains("s3cret"), "{text}");
    assert!(text.contains("merchant"), "{text}");
}

#[test]
fn a_budget_too_small_for_one_write_is_refused_naming_the_minimum() {
    for small in ["1", "2", "4"] {
        let err = Config::from_vars(vars(&[("KLARNA_TIMEOUT_SECS", small)]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("KLARNA_TIMEOUT_SECS") && err.contains("from 5 to 300"),
            "{err}"
        );
    }
    assert!(Config::from_vars(vars(&[("KLARNA_TIMEOUT_SECS", "5")])).is_ok());
}

#[test]
fn confirmation_wait_and_shutdown_grace_are_bounded() {
    let c = Config::from_vars(vars(&[])).unwrap();
    assert_eq!(c.confirm_timeout, DEFAULT_CONFIRM_TIMEOUT);
    assert_eq!(c.shutdown_grace, DEFAULT_SHUTDOWN_GRACE);
    let c = Config::from_vars(vars(&[
        ("KLARNA_CONFIRM_TIMEOUT_SECS", "30"),
        ("KLARNA_SHUTDOWN_GRACE_SECS", "0"),
    ]))
    .unwrap();
    assert_eq!(c.confirm_timeout, Duration::from_secs(30));
    assert_eq!(c.shutdown_grace, Duration::ZERO);
    for (var, bad) in [
        ("KLARNA_CONFIRM_TIMEOUT_SECS", "5"),
        ("KLARNA_CONFIRM_TIMEOUT_SECS", "9999"),
        ("KLARNA_SHUTDOWN_GRACE_SECS", "301"),
    ] {
        let err = Config::from_vars(vars(&[(var, bad)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(var), "{err}");
    }
}

fn dotenv(pairs: &[(&str, &str)]) -> Option<DotEnv> {
    Some(DotEnv {
        path: "/project/.env".into(),
        vars: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    })
}

#[test]
fn a_dotenv_fills_in_what_the_environment_lacks_and_reports_names_only() {
    let c = Config::from_sources(
        vars(&[("KLARNA_READ_ONLY", "false")]),
        dotenv(&[
            ("KLARNA_READ_ONLY", "true"),
            ("KLARNA_MAX_REFUND_AMOUNT", "500"),
            ("RUST_LOG", "debug"),
        ]),
    )
    .unwrap();
    assert!(!c.read_only, "the real environment wins");
    assert_eq!(c.max_refund_amount, Some(500));
    assert_eq!(c.log_filter.as_deref(), Some("debug"));
    let used = c.dotenv.unwrap();
    assert_eq!(used.set, ["KLARNA_MAX_REFUND_AMOUNT", "RUST_LOG"]);
    assert_eq!(used.shadowed, ["KLARNA_READ_ONLY"]);
}

#[test]
fn a_dotenv_cannot_point_requests_off_this_machine() {
    for remote in ["https://evil.example", "https://10.0.0.1:8443/klarna"] {
        let err = Config::from_sources(vars(&[]), dotenv(&[("KLARNA_BASE_URL", remote)]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("KLARNA_BASE_URL")
                && err.contains("/project/.env")
                && err.contains("real environment"),
            "{err}"
        );
    }
    // loopback from a .env is fine, and a remote one from the real environment too
    assert!(
        Config::from_sources(
            vars(&[]),
            dotenv(&[("KLARNA_BASE_URL", "http://127.0.0.1:9")])
        )
        .is_ok()
    );
    let c = Config::from_sources(
        vars(&[("KLARNA_BASE_URL", "https://gateway.example/k")]),
        dotenv(&[("KLARNA_BASE_URL", "http://127.0.0.1:9")]),
    )
    .unwrap();
    assert_eq!(
        c.client
            .base_url
            .unwrap()
            .for_host(ApiHost::Eu)
            .unwrap()
            .host_str(),
        Some("gateway.example")
    );
}

#[test]
fn a_journal_url_with_a_password_or_host_in_its_query_is_refused_without_echoing_it() {
    // From the real environment: refused naming the parameter, never showing its value.
    let err = Config::from_sources(
        vars(&[(
            "KLARNA_JOURNAL",
            "postgres://klarna@db.internal/journal?password=hunter2-secret",
        )]),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("KLARNA_JOURNAL") && err.contains("\"password\""),
        "{err}"
    );
    assert!(!err.contains("hunter2-secret"), "{err}");
    // From a .env: a loopback URL whose query names another host is not this machine.
    let err = Config::from_sources(
        vars(&[]),
        dotenv(&[(
            "KLARNA_JOURNAL",
            "postgres://localhost/journal?host=db.attacker.example",
        )]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("KLARNA_JOURNAL") && err.contains("\"host\""),
        "{err}"
    );
    // Any journal from a .env is refused (below), and the message shows no password.
    let err = Config::from_sources(
        vars(&[]),
        dotenv(&[("KLARNA_JOURNAL", "postgres://klarna:pw@db.internal/journal")]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("KLARNA_JOURNAL") && !err.contains(":pw@"),
        "{err}"
    );
}

#[test]
fn a_dotenv_may_tighten_safeguards_but_never_loosen_them() {
    for (name, value) in [
        ("KLARNA_JOURNAL", "/tmp/fresh-journal.sqlite3"),
        ("KLARNA_JOURNAL", "memory"),
        ("KLARNA_DUPLICATE_WINDOW_SECS", "0"),
        ("KLARNA_CONFIRM_WRITES", "never"),
        ("KLARNA_INCLUDE_PERSONAL_DATA", "true"),
        ("KLARNA_TIMEOUT_SECS", "300"),
        ("KLARNA_REPORTS_DIR", "/tmp/reports"),
    ] {
        let err = Config::from_sources(vars(&[]), dotenv(&[(name, value)]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(name) && err.contains("loosen") && err.contains("real environment"),
            "{name}={value}: {err}"
        );
        // From the real environment it is the operator's choice.
        assert!(
            Config::from_sources(vars(&[(name, value)]), None).is_ok(),
            "{name}={value}"
        );
    }
    for (name, value) in [
        ("KLARNA_DUPLICATE_WINDOW_SECS", "3600"),
        ("KLARNA_CONFIRM_WRITES", "always"),
        ("KLARNA_INCLUDE_PERSONAL_DATA", "false"),
        ("KLARNA_TIMEOUT_SECS", "20"),
        ("KLARNA_READ_ONLY", "true"),
        ("KLARNA_MAX_CAPTURE_AMOUNT", "5000"),
    ] {
        assert!(
            Config::from_sources(vars(&[]), dotenv(&[(name, value)])).is_ok(),
            "{name}={value}"
        );
    }
}

#[test]
fn the_reports_directory_is_absolute_or_the_platform_default() {
    let c = Config::from_vars(vars(&[("KLARNA_REPORTS_DIR", "/srv/klarna/reports")])).unwrap();
    assert_eq!(
        c.reports_dir.as_deref(),
        Some(std::path::Path::new("/srv/klarna/reports"))
    );
    let err = Config::from_vars(vars(&[("KLARNA_REPORTS_DIR", "reports")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("KLARNA_REPORTS_DIR") && err.contains("absolute"),
        "{err}"
    );
    let c = Config::from_vars(vars(&[])).unwrap();
    assert_eq!(c.reports_dir, crate::config::default_reports_dir());
}

#[test]
fn a_dotenv_cannot_set_who_may_call_the_team_server() {
    for name in [
        "KLARNA_OAUTH_ISSUER",
        "KLARNA_HTTP_TOKENS_FILE",
        "KLARNA_HTTP_ADDR",
        "KLARNA_PUBLIC_URL",
    ] {
        let err =
            Config::from_sources(vars(&[]), dotenv(&[(name, "https://idp.attacker.example")]))
                .unwrap_err()
                .to_string();
        assert!(
            err.contains(name) && err.contains("/project/.env") && err.contains("real environment"),
            "{err}"
        );
    }
}

#[test]
fn base_urls_are_described_by_scheme_host_and_port_only() {
    let c = Config::from_vars(vars(&[(
        "KLARNA_BASE_URL",
        "http://127.0.0.1:8088/merchant/s3cret-path",
    )]))
    .unwrap();
    let text = c.describe();
    assert!(text.contains("base_url=http://127.0.0.1:8088 "), "{text}");
    assert!(!text.contains("s3cret-path"), "{text}");
}

#[test]
fn unknown_names_are_warned_about_with_the_name_probably_meant() {
    let warn = |name: &str| warnings::unknown_variables([(name, "environment")]);
    for (typed, meant) in [
        ("KLARNA_US_API_KEY", "KLARNA_NA_API_KEY"),
        ("KLARNA_NORTH_AMERICA_API_KEY", "KLARNA_NA_API_KEY"),
        ("KLARNA_AU_API_USERNAME", "KLARNA_OC_API_USERNAME"),
        ("KLARNA_EU_TEST_API_KEY", "KLARNA_EU_PLAYGROUND_API_KEY"),
        ("KLARNA_API_SECRET", "KLARNA_API_PASSWORD"),
        ("KLARNA_EU_KEY", "KLARNA_EU_API_KEY"),
        ("KLARNA_PASSWORD", "KLARNA_API_PASSWORD"),
        ("KLARNA_READONLY", "KLARNA_READ_ONLY"),
        ("KLARNA_CONFRIM_WRITES", "KLARNA_CONFIRM_WRITES"),
        ("KLARNA_MAX_REFUND_AMMOUNT", "KLARNA_MAX_REFUND_AMOUNT"),
    ] {
        let said = warn(typed);
        assert_eq!(said.len(), 1, "{typed}: {said:?}");
        assert!(
            said[0].contains(typed)
                && said[0].contains(&format!("did you mean {meant}?"))
                && said[0].contains("ignored"),
            "{typed}: {}",
            said[0]
        );
    }
    // Nothing near: said without a guess.
    let said = warn("KLARNA_WEBHOOK_SIGNING_SECRET");
    assert_eq!(said.len(), 1);
    assert!(!said[0].contains("did you mean"), "{}", said[0]);
    // Names the server reads, client-side names and the test harness's are not warned about.
    for fine in [
        "KLARNA_NA_API_KEY",
        "KLARNA_OC_PLAYGROUND_API_PASSWORD",
        "KLARNA_READ_ONLY",
        "KLARNA_HTTP_TOKENS_FILE",
        "KLARNA_OAUTH_ISSUER",
        "KLARNA_MCP_TOKEN",
        "KLARNA_TEST_POSTGRES_URL",
        "RUST_LOG",
        "KLARNA",
    ] {
        assert!(warn(fine).is_empty(), "{fine}: {:?}", warn(fine));
    }
}

#[test]
fn every_name_the_code_reads_is_a_known_name() {
    let known = warnings::known_variables();
    for source in [
        include_str!("../config.rs"),
        include_str!("../http/config.rs"),
    ] {
        for name in source
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| s.starts_with("KLARNA_") && !s.ends_with('_'))
            .filter(|s| s.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        {
            assert!(known.contains(name), "{name} is read but not known");
        }
    }
    for name in credentials::all_variables() {
        assert!(known.contains(&name), "{name}");
    }
}

#[test]
fn unknown_names_in_a_dotenv_are_warned_about_as_from_the_dotenv() {
    let mut config =
        Config::from_sources(vars(&[]), dotenv(&[("KLARNA_US_API_KEY", "x")])).unwrap();
    config.check_names(&["KLARNA_EUROPE_API_KEY".to_string()]);
    let all = config.warnings.join("\n");
    assert!(
        all.contains("KLARNA_US_API_KEY (in the .env)")
            && all.contains("did you mean KLARNA_NA_API_KEY?"),
        "{all}"
    );
    assert!(
        all.contains("KLARNA_EUROPE_API_KEY (in the environment)")
            && all.contains("did you mean KLARNA_EU_API_KEY?"),
        "{all}"
    );
    // The value is never shown, only the name.
    assert!(!all.contains("=x"), "{all}");
}

#[test]
fn a_name_with_control_characters_is_shown_escaped() {
    let said = warnings::unknown_variables([("KLARNA_X\naudit tool call", ".env")]);
    assert_eq!(said.len(), 1);
    assert!(!said[0].contains('\n'), "{}", said[0]);
}

#[test]
fn an_incomplete_set_is_warned_about_at_start_naming_what_is_missing() {
    let c = Config::from_vars(vars(&[
        ("KLARNA_API_KEY", "klarna_live_api_default"),
        ("KLARNA_NA_API_USERNAME", "merchant-na"),
    ]))
    .unwrap();
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    let w = &c.warnings[0];
    assert!(
        w.contains("api-na.klarna.com")
            && w.contains("KLARNA_NA_API_PASSWORD")
            && w.contains("KLARNA_NA_API_KEY"),
        "{w}"
    );
    // The other hosts keep the default set; NA has none until its own set is complete.
    assert!(c.client.credentials.for_host(ApiHost::Eu).is_ok());
    assert!(c.client.credentials.for_host(ApiHost::Na).is_err());

    let c = Config::from_vars(vars(&[("KLARNA_API_PASSWORD", "s3cret")])).unwrap();
    let all = c.warnings.join("\n");
    assert!(
        all.contains("default credentials are incomplete") && all.contains("KLARNA_API_USERNAME"),
        "{all}"
    );
    assert!(!all.contains("s3cret"), "{all}");

    // Complete sets and no sets at all say nothing.
    assert!(Config::from_vars(vars(&CREDS)).unwrap().warnings.is_empty());
    assert!(Config::from_vars(vars(&[])).unwrap().warnings.is_empty());
}

#[test]
fn a_placeholder_from_klarna_mcp_config_is_refused_as_a_credential() {
    use crate::clients::{EU_KEY_PLACEHOLDER, NA_KEY_PLACEHOLDER, TOKEN_PLACEHOLDER};
    let c = Config::from_vars(vars(&[
        ("KLARNA_EU_API_KEY", "klarna_live_api_real-one"),
        ("KLARNA_NA_API_KEY", NA_KEY_PLACEHOLDER),
    ]))
    .unwrap();
    assert!(c.client.credentials.for_host(ApiHost::Eu).is_ok());
    let refused = c
        .client
        .credentials
        .for_host(ApiHost::Na)
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("KLARNA_NA_API_KEY")
            && refused.contains("placeholder")
            && refused.contains("Merchant Portal"),
        "{refused}"
    );
    let all = c.warnings.join("\n");
    assert!(
        all.contains("KLARNA_NA_API_KEY still holds a placeholder"),
        "{all}"
    );

    for placeholder in [
        EU_KEY_PLACEHOLDER,
        "<paste your key here>",
        "klarna_live_api_...",
        "klarna_test_api_…",
    ] {
        let c = Config::from_vars(vars(&[("KLARNA_API_KEY", placeholder)])).unwrap();
        assert!(c.client.credentials.usable().is_empty(), "{placeholder}");
        assert_eq!(c.warnings.len(), 1, "{placeholder}: {:?}", c.warnings);
        assert!(
            c.warnings[0].contains("KLARNA_API_KEY"),
            "{}",
            c.warnings[0]
        );
    }
    // A password that is a placeholder, and a placeholder username.
    let c = Config::from_vars(vars(&[
        ("KLARNA_API_USERNAME", "merchant"),
        ("KLARNA_API_PASSWORD", "<your password>"),
    ]))
    .unwrap();
    assert!(c.client.credentials.usable().is_empty());
    assert!(
        c.warnings[0].contains("KLARNA_API_PASSWORD"),
        "{:?}",
        c.warnings
    );
    let c = Config::from_vars(vars(&[
        ("KLARNA_API_USERNAME", "<your username>"),
        ("KLARNA_API_KEY", "klarna_live_api_real"),
    ]))
    .unwrap();
    assert!(c.client.credentials.usable().is_empty());

    assert!(warnings::is_placeholder(TOKEN_PLACEHOLDER));
    assert!(warnings::is_placeholder(&format!(
        "Bearer {TOKEN_PLACEHOLDER}"
    )));
    for real in ["klarna_live_api_3f9c", "s3cret...x", "a<b>c", "merchant"] {
        assert!(!warnings::is_placeholder(real), "{real}");
    }
}
