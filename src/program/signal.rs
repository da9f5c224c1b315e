//! The session and request signals a rule can read by name.

use serde::{Deserialize, Serialize};

/// Session and request signals a rule can read by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Signal {
    /// `session.device`: `mobile`, `tablet` or `desktop` (explicit, else client hint, else user agent).
    Device,
    /// `session.viewport_width`, in CSS pixels.
    ViewportWidth,
    /// `session.viewport_height`, in CSS pixels.
    ViewportHeight,
    /// `session.referrer`: the referring URL.
    Referrer,
    /// `session.referrer_host`: the referring URL's host, lower-cased.
    ReferrerHost,
    /// `session.utm_source`: from `session.utm`, else the page URL's parameters.
    UtmSource,
    /// `session.utm_medium`, like `utm_source`.
    UtmMedium,
    /// `session.utm_campaign`, like `utm_source`.
    UtmCampaign,
    /// `session.utm_term`, like `utm_source`.
    UtmTerm,
    /// `session.utm_content`, like `utm_source`.
    UtmContent,
    /// `session.page`: the page being shown.
    Page,
    /// `session.page_views`: pages viewed this session.
    PageViews,
    /// `session.product_views`: products viewed this session.
    ProductViews,
    /// `session.last_viewed_product`: the latest of the session's product views.
    LastViewedProduct,
    /// `session.last_viewed_category`: that product view's category.
    LastViewedCategory,
    /// `session.search_term`: the latest search of the session.
    SearchTerm,
    /// `session.search_category`: that search's category.
    SearchCategory,
    /// `session.search_count`: searches this session.
    SearchCount,
    /// `session.cart_dwell`: time spent in the cart (a duration).
    CartDwell,
    /// `session.checkout_dwell`: time spent in checkout (a duration).
    CheckoutDwell,
    /// `session.coupon_searches`: searches for coupons this session.
    CouponSearches,
    /// `geo.country`.
    Country,
    /// `geo.region`.
    Region,
    /// `geo.city`.
    City,
    /// `geo.lat`: latitude in degrees.
    Lat,
    /// `geo.lon`: longitude in degrees.
    Lon,
    /// `customer.id`: the context's `customer_id`.
    CustomerId,
    /// `local.minutes`: minutes since local midnight in the visitor's zone.
    LocalMinutes,
    /// `local.hour`: the local hour, 0–23.
    LocalHour,
    /// `local.weekday`: `sun` … `sat`, locally.
    LocalWeekday,
    /// `now`: the decision instant, epoch milliseconds.
    Now,
}

/// Signal names as rules write them (`{"var": "session.device"}`), and whether each is a duration.
pub const SIGNALS: &[(&str, Signal)] = &[
    ("session.device", Signal::Device),
    ("session.viewport_width", Signal::ViewportWidth),
    ("session.viewport_height", Signal::ViewportHeight),
    ("session.referrer", Signal::Referrer),
    ("session.referrer_host", Signal::ReferrerHost),
    ("session.utm_source", Signal::UtmSource),
    ("session.utm_medium", Signal::UtmMedium),
    ("session.utm_campaign", Signal::UtmCampaign),
    ("session.utm_term", Signal::UtmTerm),
    ("session.utm_content", Signal::UtmContent),
    ("session.page", Signal::Page),
    ("session.page_views", Signal::PageViews),
    ("session.product_views", Signal::ProductViews),
    ("session.last_viewed_product", Signal::LastViewedProduct),
    ("session.last_viewed_category", Signal::LastViewedCategory),
    ("session.search_term", Signal::SearchTerm),
    ("session.search_category", Signal::SearchCategory),
    ("session.search_count", Signal::SearchCount),
    ("session.cart_dwell", Signal::CartDwell),
    ("session.checkout_dwell", Signal::CheckoutDwell),
    ("session.coupon_searches", Signal::CouponSearches),
    ("geo.country", Signal::Country),
    ("geo.region", Signal::Region),
    ("geo.city", Signal::City),
    ("geo.lat", Signal::Lat),
    ("geo.lon", Signal::Lon),
    ("customer.id", Signal::CustomerId),
    ("local.minutes", Signal::LocalMinutes),
    ("local.hour", Signal::LocalHour),
    ("local.weekday", Signal::LocalWeekday),
    ("now", Signal::Now),
];

impl Signal {
    /// The name rules write (`session.device`).
    pub fn name(self) -> &'static str {
        SIGNALS.iter().find(|(_, s)| *s == self).map_or("?", |(n, _)| n)
    }
    /// Whether its value is a duration (compared with `30m`, printed as one).
    pub fn is_duration(self) -> bool {
        matches!(self, Signal::CartDwell | Signal::CheckoutDwell)
    }
}
