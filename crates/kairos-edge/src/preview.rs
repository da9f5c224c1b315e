//! QA previews at the edge (docs/preview.md). `?kairos_preview=TOKEN` (from `kairos preview`)
//! forces what the token names, checked with `BUNDLE_PUBLIC_KEY`, the key bundles are signed
//! with; the token is then kept in a session cookie the page script reads too, so the edge and
//! the page force the same slots until the browser session ends. `?kairos_preview=off` ends it.
//! A token that is unsigned, altered or expired is ignored: `x-kairos-preview` says why, one log
//! line says so, and its cookie is cleared so the warning does not repeat on every page.

use crate::config::BundlePolicy;
use crate::cookies;
use crate::request::EdgeRequest;
use kairos::preview::Preview;
use kairos::{Engine, ErrorCode};

/// The query parameter a preview link carries.
pub const PARAM: &str = "kairos_preview";
/// The session cookie that keeps the preview for the rest of the visit.
pub const COOKIE: &str = "kairos_preview";

/// What became of a preview on this request (`x-kairos-preview`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewState {
    /// A valid token: its slots are forced.
    Active,
    /// `?kairos_preview=off`: the preview is over.
    Ended,
    /// A token that was not used, and why.
    Ignored(ErrorCode),
}

impl PreviewState {
    /// The header value: `active`, `ended` or `ignored; code=E_…`.
    pub fn header(self) -> String {
        match self {
            PreviewState::Active => "active".into(),
            PreviewState::Ended => "ended".into(),
            PreviewState::Ignored(code) => format!("ignored; code={code}"),
        }
    }
}

/// A request's preview: what to force, what to say, which cookie to write.
#[derive(Debug, Default)]
pub struct EdgePreview {
    pub forced: Option<Preview>,
    pub state: Option<PreviewState>,
    pub set_cookie: Option<String>,
    /// Why a token was ignored, or what of a valid one the bundle lacks: one log line.
    pub warning: Option<String>,
}

/// Reads the request's preview token (the URL's first, else the cookie's) and checks it.
pub fn read(req: &EdgeRequest, policy: &BundlePolicy, engine: &Engine, now_ms: i64) -> EdgePreview {
    let in_url = kairos::query_param(&req.url, PARAM);
    let in_cookie = req.cookie(COOKIE);
    let clear = || in_cookie.map(|_| cookies::clear_session(COOKIE));
    let token = match (in_url.as_deref(), in_cookie) {
        (Some("off"), _) => {
            return EdgePreview { state: Some(PreviewState::Ended), set_cookie: clear(), ..Default::default() }
        }
        (Some(token), _) => token,
        (None, Some(token)) => token,
        (None, None) => return EdgePreview::default(),
    };
    let ignored = |code, warning: String| EdgePreview {
        forced: None,
        state: Some(PreviewState::Ignored(code)),
        set_cookie: clear(),
        warning: Some(format!("kairos: preview token ignored ({code}): {warning}")),
    };
    let BundlePolicy::SignedBy(key) = policy else {
        return ignored(ErrorCode::Preview, "previews are checked with BUNDLE_PUBLIC_KEY, which is not set".into());
    };
    match kairos::preview::verify(token, key, now_ms) {
        Err(e) => ignored(e.code(), e.message),
        Ok(preview) => EdgePreview {
            warning: preview.unknown_in(&engine.program).map(|unknown| format!("kairos: preview: {unknown}")),
            forced: Some(preview),
            state: Some(PreviewState::Active),
            // Written when the link brings the token (again), so a new link replaces an old one.
            set_cookie: in_url.is_some().then(|| cookies::session(COOKIE, token)),
        },
    }
}
