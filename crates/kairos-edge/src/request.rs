//! An edge request (URL, headers, `cf` properties) and the decision context it implies.

use crate::customer::CustomerRecord;
use crate::history::EdgeEvent;
use crate::{cookies, identity};
use kairos::context::{clip, ClientHints, Context, Finite, Geo, HintBool, Session, Text, Timestamp, MAX_STRING_BYTES};

/// The request's `cf` object, as far as kairos reads it (Cloudflare fills it from the client IP).
#[derive(Debug, Clone, Default)]
pub struct CfProperties {
    pub country: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<String>,
    pub longitude: Option<String>,
    pub timezone: Option<String>,
}

impl CfProperties {
    /// Reads each property kairos uses through `get` (by its name in `request.cf`).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> CfProperties {
        CfProperties {
            country: get("country"),
            region: get("region"),
            city: get("city"),
            latitude: get("latitude"),
            longitude: get("longitude"),
            timezone: get("timezone"),
        }
    }
}

/// What kairos reads from an incoming request.
#[derive(Debug, Clone, Default)]
pub struct EdgeRequest {
    pub url: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub cf: CfProperties,
    /// The secret customer-id cookies are signed with; empty: no customer ids (anonymous only).
    pub identity_key: Vec<u8>,
}

impl EdgeRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        cookies::get(self.header("cookie")?, name)
    }

    /// The customer id from the `kairos_uid` cookie, only when its signature checks
    /// ([`identity`]) under a key of at least [`identity::MIN_KEY_BYTES`].
    pub fn customer_id(&self) -> Option<&str> {
        if self.identity_key.len() < identity::MIN_KEY_BYTES {
            return None;
        }
        identity::verify(&self.identity_key, self.cookie(cookies::CUSTOMER)?)
    }

    /// The key anonymous ids are signed with: the identity key, when it is long enough.
    pub fn anonymous_key(&self) -> Option<&[u8]> {
        (self.identity_key.len() >= identity::MIN_KEY_BYTES).then_some(self.identity_key.as_slice())
    }

    /// Consent needs the consent cookie, and Global Privacy Control (`Sec-GPC: 1`) withdraws it.
    pub fn consent(&self) -> bool {
        let gpc = self.header("sec-gpc").is_some_and(|v| v.trim() == "1");
        !gpc && self.cookie(cookies::CONSENT).is_some_and(cookies::grants)
    }

    /// The URL's path (`/` when it has none).
    pub fn path(&self) -> &str {
        let after_scheme = self.url.split_once("://").map_or(self.url.as_str(), |(_, rest)| rest);
        let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
        path.split(['?', '#']).next().unwrap_or("/")
    }

    /// The decision context: request signals always; with consent, also the customer's
    /// KV record and the edge history. Without consent neither is read, so neither is passed.
    pub fn context(&self, now_ms: i64, customer: Option<&CustomerRecord>, history: &[EdgeEvent]) -> Context {
        let consent = self.consent();
        let mut ctx = Context {
            now: Timestamp(now_ms),
            customer_id: self.customer_id().map(text),
            timezone: self.cf.timezone.as_deref().map(text),
            session: Session {
                user_agent: self.header("user-agent").map(text),
                client_hints: ClientHints {
                    mobile: self.header("sec-ch-ua-mobile").and_then(hint_bool),
                    platform: self.header("sec-ch-ua-platform").map(|p| text(p.trim().trim_matches('"'))),
                },
                referrer: self.header("referer").map(text),
                url: Some(text(&self.url)),
                page: Some(text(self.path())),
                ..Session::default()
            },
            geo: Geo {
                country: self.cf.country.as_deref().map(text),
                region: self.cf.region.as_deref().map(text),
                city: self.cf.city.as_deref().map(text),
                lat: self.cf.latitude.as_deref().and_then(finite),
                lon: self.cf.longitude.as_deref().and_then(finite),
            },
            ..Context::default()
        };
        ctx.consent.insert("personalization".into(), consent);
        if consent {
            if let Some(record) = customer {
                ctx.profile = record.profile.clone();
                ctx.scores = record.scores.clone();
                ctx.events.0 = record.events.0.clone();
            }
            ctx.events.0.extend(history.iter().map(EdgeEvent::to_event));
        }
        ctx
    }
}

/// Header values become context strings cut to the context's string limit.
fn text(s: &str) -> Text {
    Text(clip(s, MAX_STRING_BYTES).to_owned())
}

fn hint_bool(v: &str) -> Option<HintBool> {
    match v.trim() {
        "?1" => Some(HintBool(true)),
        "?0" => Some(HintBool(false)),
        _ => None,
    }
}

fn finite(v: &str) -> Option<Finite> {
    v.trim().parse::<f64>().ok().filter(|x| x.is_finite()).map(Finite)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kairos::context::Scalar;

    const ID_KEY: &[u8] = b"identity-test-key-0123456789abcdef";

    fn uid(id: &str) -> String {
        format!("kairos_uid={}", identity::sign(ID_KEY, id).unwrap())
    }

    fn request(cookie: &str) -> EdgeRequest {
        EdgeRequest {
            identity_key: ID_KEY.to_vec(),
            url: "https://shop.example/product/sku-1?utm_source=news#top".into(),
            headers: vec![
                ("cookie".into(), cookie.into()),
                ("user-agent".into(), "Mozilla/5.0 (iPhone)".into()),
                ("sec-ch-ua-mobile".into(), "?1".into()),
                ("sec-ch-ua-platform".into(), "\"iOS\"".into()),
                ("referer".into(), "https://search.example/".into()),
            ],
            cf: CfProperties {
                country: Some("PT".into()),
                city: Some("Lisbon".into()),
                latitude: Some("38.72".into()),
                longitude: Some("nonsense".into()),
                timezone: Some("Europe/Lisbon".into()),
                ..CfProperties::default()
            },
        }
    }

    fn record() -> CustomerRecord {
        CustomerRecord::parse(r#"{"profile": {"home_country": "FR"}, "events": [{"e": "salary_received", "t": 1}]}"#)
            .unwrap()
    }

    #[test]
    fn maps_headers_cookies_and_cf() {
        let req = request(&format!("{}; kairos_consent=1", uid("cust-9")));
        let history = [EdgeEvent::new("cart_viewed", 2000, &[])];
        let ctx = req.context(5000, Some(&record()), &history);
        assert_eq!(ctx.now, Timestamp(5000));
        assert_eq!(ctx.customer_id, Some(Text("cust-9".into())));
        assert!(ctx.has_consent());
        assert_eq!(ctx.timezone, Some(Text("Europe/Lisbon".into())));
        assert_eq!(ctx.geo.country, Some(Text("PT".into())));
        assert_eq!(ctx.geo.lat, Some(Finite(38.72)));
        assert_eq!(ctx.geo.lon, None);
        assert!(ctx.session.client_hints.mobile.is_some_and(|m| m.0));
        assert_eq!(ctx.session.client_hints.platform, Some(Text("iOS".into())));
        assert_eq!(ctx.session.page, Some(Text("/product/sku-1".into())));
        assert_eq!(ctx.profile["home_country"], Scalar::Str("FR".into()));
        let names: Vec<&str> = ctx.events.0.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["salary_received", "cart_viewed"]);
    }

    #[test]
    fn without_consent_no_customer_data_or_history() {
        let history = [EdgeEvent::new("cart_viewed", 2000, &[])];
        for cookie in [uid("cust-9"), format!("{}; kairos_consent=0", uid("cust-9"))] {
            let ctx = request(&cookie).context(5000, Some(&record()), &history);
            assert!(!ctx.has_consent());
            assert!(ctx.profile.is_empty() && ctx.events.0.is_empty());
        }
        let mut gpc = request("kairos_uid=c; kairos_consent=1");
        gpc.headers.push(("sec-gpc".into(), "1".into()));
        assert!(!gpc.consent());
    }

    #[test]
    fn trusts_only_signed_customer_ids_and_reads_paths() {
        assert_eq!(request("kairos_uid=<script>").customer_id(), None);
        assert_eq!(request("kairos_uid=cust-9").customer_id(), None, "unsigned ids are not trusted");
        assert_eq!(request(&uid("cust-9")).customer_id(), Some("cust-9"));
        let mut weak = request(&uid("cust-9"));
        weak.identity_key = b"short".to_vec();
        assert_eq!(weak.customer_id(), None, "no ids under a weak key");
        let mut r = EdgeRequest::default();
        for (url, path) in [("https://a.example", "/"), ("https://a.example/x/y?q=1", "/x/y"), ("/rel#f", "/rel")] {
            r.url = url.into();
            assert_eq!(r.path(), path);
        }
    }
}
