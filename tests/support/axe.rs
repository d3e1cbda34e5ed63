//! axe-core, the accessibility checker, run in the real window (issue 19,
//! item 11: "accessibility checked, not hoped for"). Its script is the one
//! `ui/package-lock.json` pins (`npm ci` in ui/ puts it in node_modules);
//! it is sent to the page through WebDriver, run there on the whole
//! document, and what it finds comes back as [`Violation`]s.
//!
//! WebDriver's scripts are not the page's: the window's CSP (script-src
//! 'self', no eval) does not stop them, so the checker runs on the page as
//! it is, with nothing loosened for the test.

use super::Window;
use std::path::PathBuf;

/// One rule that failed, with the elements it failed on.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Violation {
    /// The rule: `button-name`, `color-contrast`, `label`, …
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    /// The rule in a sentence.
    pub help: String,
    #[serde(rename = "helpUrl")]
    pub help_url: String,
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct Node {
    /// CSS selectors that reach the element (one per frame).
    pub target: Vec<serde_json::Value>,
    /// The element's opening tag, as axe shows it.
    pub html: String,
    /// What is wrong with it, as axe says.
    pub summary: Option<String>,
}

impl Violation {
    /// Serious or critical: what the window must never have.
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_deref(), Some("serious" | "critical"))
    }

    /// Whether one of the elements it failed on has `fragment` in its tag
    /// (`data-testid="x"`).
    pub fn names(&self, fragment: &str) -> bool {
        self.nodes.iter().any(|n| n.html.contains(fragment))
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "[{}] {}: {} ({})",
            self.impact.as_deref().unwrap_or("?"),
            self.id,
            self.help,
            self.help_url
        )?;
        for node in &self.nodes {
            let target: Vec<String> = node.target.iter().map(|t| t.to_string()).collect();
            writeln!(f, "    at {}: {}", target.join(" > "), node.html)?;
            if let Some(summary) = &node.summary {
                for line in summary.lines() {
                    writeln!(f, "        {line}")?;
                }
            }
        }
        Ok(())
    }
}

/// The checker's script, read from ui/node_modules (the version
/// ui/package-lock.json pins).
pub fn script() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ui/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): run `npm ci` in ui/ (axe-core is a devDependency there)",
            path.display()
        )
    })
}

/// The version of axe-core that runs in the page, putting it there first if
/// the page does not have it yet (a new page, after a launch).
pub async fn inject(window: &Window) -> String {
    let has = window
        .client
        .execute(
            "return typeof window.axe === 'object' ? window.axe.version : null;",
            vec![],
        )
        .await
        .expect("ask the page for axe");
    if let Some(version) = has.as_str() {
        return version.to_owned();
    }
    // The script is the body of a function WebDriver calls: axe's own
    // wrapper puts `axe` on `window`.
    let body = format!("{}\n;return window.axe ? window.axe.version : null;", script());
    let version = window
        .client
        .execute(&body, vec![])
        .await
        .expect("send axe-core to the page");
    version
        .as_str()
        .unwrap_or_else(|| panic!("axe-core did not start in the page: {version}"))
        .to_owned()
}

/// Every violation axe-core finds in the window's document as it is now,
/// whatever its impact.
pub async fn violations(window: &Window) -> Vec<Violation> {
    inject(window).await;
    let answer = window
        .client
        .execute_async(
            r#"
            const done = arguments[arguments.length - 1];
            window.axe
              .run(document, { resultTypes: ["violations"] })
              .then(
                (r) => done({
                  incomplete: r.incomplete.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.html) })),
                  violations: r.violations.map((v) => ({
                    id: v.id,
                    impact: v.impact,
                    help: v.help,
                    helpUrl: v.helpUrl,
                    nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, summary: n.failureSummary })),
                  })),
                }),
                (e) => done({ error: String(e && e.stack ? e.stack : e) }),
              );
            "#,
            vec![],
        )
        .await
        .expect("run axe-core in the page");
    if let Some(error) = answer.get("error") {
        panic!("axe-core failed in the page: {error}");
    }
    // What axe could not decide (a contrast over an image, say) is for a
    // person to look at: said, not failed.
    if let Some(unsure) = answer["incomplete"].as_array().filter(|u| !u.is_empty()) {
        eprintln!(
            "axe-core could not decide (to review by eye): {}",
            serde_json::Value::from(unsure.clone())
        );
    }
    serde_json::from_value(answer["violations"].clone()).unwrap_or_else(|e| panic!("axe-core's answer: {e}: {answer}"))
}

/// The serious and critical violations only.
pub async fn serious(window: &Window) -> Vec<Violation> {
    violations(window)
        .await
        .into_iter()
        .filter(Violation::is_serious)
        .collect()
}

/// What axe-core finds serious or critical in the window as it is now, as
/// a report naming each rule and element; `what` names the state checked
/// (the list, a dialog, a step). A screenshot of that state is kept beside
/// the report.
pub async fn check(window: &Window, what: &str) -> Result<(), String> {
    let (found, lesser): (Vec<_>, Vec<_>) = violations(window).await.into_iter().partition(Violation::is_serious);
    for v in &lesser {
        eprintln!("axe-core, {what} (minor or moderate, not failed): {v}");
    }
    if found.is_empty() {
        return Ok(());
    }
    let name: String = what
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    let shot = window.screenshot(&format!("axe-{name}")).await;
    let listed: Vec<String> = found.iter().map(|v| v.to_string()).collect();
    Err(format!(
        "{} serious or critical accessibility violation(s) in {what} (screenshot {}):\n{}",
        found.len(),
        shot.display(),
        listed.join("\n")
    ))
}

/// Fails the test with [`check`]'s report when axe-core finds a serious or
/// critical violation in the window as it is now.
pub async fn assert_accessible(window: &Window, what: &str) {
    if let Err(report) = check(window, what).await {
        panic!("{report}");
    }
}
