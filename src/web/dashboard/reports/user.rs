//! `/tracking/engagement/users/{user}`: one signed-in user's engagement figures, sessions and
//! purchases in the range.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::Response;

use super::super::format as fmt;
use super::super::{Chrome, PageContext, PageError, SignedIn, html};
use super::{EngagementRowView, Params, SessionRowView, engagement_rows, session_rows};
use crate::query::engagement::{Engagement, EngagementPlan};
use crate::query::{SessionListPlan, SessionPage};
use crate::web::AppState;
use crate::web::api;
use crate::web::blocking::blocking;

#[derive(Template)]
#[template(path = "user.html")]
pub struct UserView {
    pub chrome: Chrome,
    pub user: String,
    pub row: Option<EngagementRowView>,
    pub rows: Vec<SessionRowView>,
    pub total_sessions: u64,
    /// (session link, start, amounts)
    pub purchases: Vec<(String, String, String)>,
}

pub async fn user(
    SignedIn(account): SignedIn,
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(user): Path<String>,
    Query(params): Params,
) -> Result<Response, PageError> {
    let ctx = PageContext::new(&state, &account, params, &uri, "engagement", "User")?;
    let principal = PageContext::principal(&account);
    let mut session_params = ctx.params.clone();
    session_params.insert("user".into(), user.clone());
    session_params.insert("limit".into(), "200".into());
    let sessions_plan: SessionListPlan =
        api::plan(&state, &principal, ctx.site.as_str(), &session_params)?;
    // The engagement report takes the range but not the session filters; `q` finds the user.
    let mut engagement_params: HashMap<String, String> = ctx
        .params
        .iter()
        .filter(|(k, _)| ["from", "to", "tz", "include_bots"].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    engagement_params.insert(
        "q".into(),
        user.chars()
            .take(EngagementPlan::MAX_SEARCH_CHARS)
            .collect(),
    );
    engagement_params.insert("limit".into(), "500".into());
    let engagement_plan: EngagementPlan =
        api::plan(&state, &principal, ctx.site.as_str(), &engagement_params)?;
    let (s1, s2) = (state.store.clone(), state.store.clone());
    let (page, e) = tokio::try_join!(
        blocking(move || s1.sessions(&sessions_plan)),
        blocking(move || s2.engagement(&engagement_plan)),
    )?;
    Ok(html(&view(ctx, user, &page, e)))
}

/// `e` is the engagement report searched for `user`: other users containing the text are
/// dropped here.
fn view(ctx: PageContext, user: String, page: &SessionPage, mut e: Engagement) -> UserView {
    e.rows.retain(|r| r.id == user);
    let row = engagement_rows(&ctx, &e).into_iter().next();
    let sessions = session_rows(&ctx, &page.sessions);
    let purchases = page
        .sessions
        .iter()
        .zip(&sessions)
        .filter(|(s, _)| !s.purchases.is_empty())
        .map(|(s, v)| (v.href.clone(), v.start.clone(), fmt::amounts(&s.purchases)))
        .collect();
    UserView {
        user,
        row,
        total_sessions: page.total,
        rows: sessions,
        purchases,
        chrome: ctx.chrome,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{DAY0, context, engagement_row, eur, session};
    use super::*;
    use crate::query::engagement::Active;

    #[test]
    fn only_the_exact_user_is_shown_with_the_sessions_that_bought() {
        let mut bought = session("00000000000000b2", DAY0 + 60_000);
        bought.purchases = vec![eur(1999)];
        let page = SessionPage {
            total: 2,
            limit: 200,
            offset: 0,
            sessions: vec![session("00000000000000b1", DAY0), bought],
        };
        let e = Engagement {
            by: "user",
            total: 2,
            limit: 500,
            offset: 0,
            rows: vec![engagement_row("ann", 10.0), engagement_row("joanna", 50.0)],
            active: Active::default(),
            cohorts: Vec::new(),
        };
        let v = view(
            context("/tracking/engagement/users/ann", &[]),
            "ann".into(),
            &page,
            e,
        );
        assert_eq!(v.row.as_ref().map(|r| r.id.as_str()), Some("ann"));
        assert_eq!(v.total_sessions, 2);
        assert_eq!(v.purchases.len(), 1);
        assert_eq!(
            v.purchases[0].0,
            "/tracking/sessions/00000000000000b2?site=shop"
        );
        assert_eq!(v.purchases[0].2, fmt::amounts(&[eur(1999)]));
    }
}
