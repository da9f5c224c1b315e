//! The context's signals as values: session, geo, customer, and local time.

use super::{Eval, Val};
use crate::context::Context;
use crate::program::Signal;
use crate::signals::{self, Device, ZoneProblem};
use crate::time::{LocalTime, WEEKDAYS};
use std::borrow::Cow;

impl<'a> Eval<'a> {
    pub(super) fn local_time(&mut self) -> Option<LocalTime> {
        match &self.local {
            Ok(lt) => Some(*lt),
            Err(ZoneProblem::NoZone) => {
                self.miss("timezone");
                None
            }
            Err(ZoneProblem::Unknown(why)) => {
                let why = format!("timezone ({why})");
                self.miss(why);
                None
            }
        }
    }

    pub(super) fn signal(&mut self, s: Signal) -> Val<'a> {
        let ctx: &'a Context = self.ctx;
        let sess = &ctx.session;
        let text = |t: &'a Option<crate::context::Text>| t.as_ref().map(|t| Val::Str(Cow::Borrowed(t.0.as_str())));
        let found: Option<Val<'a>> = match s {
            Signal::Device => match self.device {
                Device::Unknown => None,
                d => Some(Val::Str(Cow::Borrowed(d.as_str()))),
            },
            Signal::ViewportWidth => sess.viewport.map(|v| Val::Num(v.width.0)),
            Signal::ViewportHeight => sess.viewport.map(|v| Val::Num(v.height.0)),
            Signal::Referrer => text(&sess.referrer),
            Signal::ReferrerHost => {
                sess.referrer.as_ref().and_then(|r| signals::url_host(&r.0)).map(|h| Val::Str(Cow::Owned(h)))
            }
            Signal::UtmSource => signals::utm(ctx, "source").map(|v| Val::Str(Cow::Owned(v))),
            Signal::UtmMedium => signals::utm(ctx, "medium").map(|v| Val::Str(Cow::Owned(v))),
            Signal::UtmCampaign => signals::utm(ctx, "campaign").map(|v| Val::Str(Cow::Owned(v))),
            Signal::UtmTerm => signals::utm(ctx, "term").map(|v| Val::Str(Cow::Owned(v))),
            Signal::UtmContent => signals::utm(ctx, "content").map(|v| Val::Str(Cow::Owned(v))),
            Signal::Page => text(&sess.page),
            Signal::PageViews => sess.page_views.map(|n| Val::Num(f64::from(n))),
            Signal::ProductViews => Some(Val::Num(sess.product_views.len() as f64)),
            Signal::LastViewedProduct => sess.product_views.last().map(|p| Val::Str(Cow::Borrowed(p.id.0.as_str()))),
            Signal::LastViewedCategory => sess
                .product_views
                .last()
                .and_then(|p| p.category.as_ref())
                .map(|c| Val::Str(Cow::Borrowed(c.0.as_str()))),
            Signal::SearchTerm => sess.searches.last().map(|s| Val::Str(Cow::Borrowed(s.term.as_str()))),
            Signal::SearchCategory => {
                sess.searches.last().and_then(|s| s.category.as_deref()).map(|c| Val::Str(Cow::Borrowed(c)))
            }
            Signal::SearchCount => Some(Val::Num(sess.searches.len() as f64)),
            Signal::CartDwell | Signal::CheckoutDwell => {
                let dwell = if s == Signal::CartDwell { sess.cart_dwell_ms } else { sess.checkout_dwell_ms };
                if dwell.is_some() {
                    self.lasts_an_instant();
                }
                dwell.map(|d| Val::Num(d.0))
            }
            Signal::CouponSearches => sess.coupon_searches.map(|n| Val::Num(f64::from(n))),
            Signal::Country => text(&ctx.geo.country),
            Signal::Region => text(&ctx.geo.region),
            Signal::City => text(&ctx.geo.city),
            Signal::Lat => ctx.geo.lat.map(|v| Val::Num(v.0)),
            Signal::Lon => ctx.geo.lon.map(|v| Val::Num(v.0)),
            Signal::CustomerId => text(&ctx.customer_id),
            Signal::LocalMinutes | Signal::LocalHour | Signal::LocalWeekday => {
                let Some(lt) = self.local_time() else { return Val::Unknown };
                let m = lt.minute_of_day.min(1439);
                return match s {
                    Signal::LocalMinutes => {
                        self.lasts(|ev| ev.local_change(&lt, 1));
                        Val::Num(f64::from(m))
                    }
                    Signal::LocalHour => {
                        self.lasts(|ev| ev.local_change(&lt, 60 - m % 60));
                        Val::Num(f64::from(m / 60))
                    }
                    _ => {
                        self.lasts(|ev| ev.local_change(&lt, 1440 - m));
                        Val::Str(Cow::Borrowed(WEEKDAYS[lt.weekday as usize % 7]))
                    }
                };
            }
            Signal::Now => {
                self.lasts_an_instant();
                Some(Val::Num(ctx.now.0 as f64))
            }
        };
        match found {
            Some(v) => v,
            None => self.miss(s.name()),
        }
    }
}
