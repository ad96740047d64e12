//! Small HTML pages that links in messages open. Forms post back here, so following a link
//! never changes anything by itself.

use askama::Template;
use poem::{
    IntoResponse, Response, handler,
    http::StatusCode,
    web::{Data, Form, Html, Query},
};
use serde::Deserialize;

use crate::{
    accounts::{self, MAX_PERSON_NAME_LEN},
    graphql::error::ApiError,
    input::{self, Password},
    state::AppState,
};

#[derive(Deserialize)]
pub struct TokenQuery {
    pub token: Option<String>,
}

#[derive(Template)]
#[template(path = "invitation_form.html")]
struct InvitationForm<'a> {
    token: &'a str,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
struct Message<'a> {
    title: &'a str,
    body: &'a str,
    /// Where to go next: address and wording.
    link: Option<(&'a str, &'a str)>,
}

/// A page rendered from its template, or a plain 500 if the template fails.
pub fn render(template: &impl Template, status: StatusCode) -> Response {
    match template.render() {
        Ok(html) => Html(html).with_status(status).into_response(),
        Err(error) => {
            tracing::error!(%error, "could not render a page");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub fn message(title: &str, body: &str, status: StatusCode) -> Response {
    render(
        &Message {
            title,
            body,
            link: None,
        },
        status,
    )
}

/// A message with a link onwards.
pub fn message_with_link(title: &str, body: &str, link: (&str, &str)) -> Response {
    render(
        &Message {
            title,
            body,
            link: Some(link),
        },
        StatusCode::OK,
    )
}

/// The page an invitation link opens: a form for a name and a password.
#[handler]
pub async fn invitation_form(Query(query): Query<TokenQuery>) -> Response {
    match query.token.as_deref() {
        Some(token) if !token.is_empty() => {
            render(&InvitationForm { token, error: None }, StatusCode::OK)
        }
        _ => message(
            "Invitation link incomplete",
            "This link has no invitation in it. Open the link from your invitation again.",
            StatusCode::BAD_REQUEST,
        ),
    }
}

#[derive(Deserialize)]
pub struct AcceptForm {
    token: String,
    name: String,
    password: String,
}

#[handler]
pub async fn accept_invitation(
    request: &poem::Request,
    Data(state): Data<&AppState>,
    Form(form): Form<AcceptForm>,
) -> Response {
    let client = super::graphql::client_of(request, state);
    let checked = input::single_line("name", &form.name, MAX_PERSON_NAME_LEN)
        .and_then(|name| Ok((name, Password::parse("password", form.password)?)));
    let outcome = match checked {
        Ok((name, password)) => accounts::accept(state, form.token.trim(), name, password, &client)
            .await
            .map(|_| ()),
        Err(error) => Err(error),
    };
    match outcome {
        Ok(()) => message(
            "Your account is ready",
            "You can now sign in with your email address and the password you chose.",
            StatusCode::OK,
        ),
        Err(error) => render(
            &InvitationForm {
                token: &form.token,
                error: Some(error.to_string()),
            },
            StatusCode::BAD_REQUEST,
        ),
    }
}

/// The page for a link that leads nowhere (or nowhere the reader may go).
pub fn not_found() -> Response {
    message(
        "Not found",
        "There is nothing at this address, or it is not public.",
        StatusCode::NOT_FOUND,
    )
}

#[derive(Template)]
#[template(path = "button_page.html")]
struct ButtonPage<'a> {
    title: &'a str,
    text: &'a str,
    token: &'a str,
    button: &'a str,
}

/// The page an emailed link opens: a button that posts its token back, so mail scanners that
/// open links change nothing.
pub fn button_page(token: Option<&str>, title: &str, text: &str, button: &str) -> Response {
    match token.filter(|token| !token.is_empty()) {
        Some(token) => render(
            &ButtonPage {
                title,
                text,
                token,
                button,
            },
            StatusCode::OK,
        ),
        None => missing_token(),
    }
}

pub fn missing_token() -> Response {
    message(
        "Link incomplete",
        "This link has no token in it. Open the link from your email again.",
        StatusCode::BAD_REQUEST,
    )
}

/// What a page says when its action fails: the reason for the reader's mistakes; for ours, a
/// plain apology (the cause is logged).
pub fn refusal(error: &ApiError) -> Response {
    match error {
        ApiError::Internal(_) => {
            tracing::error!(%error, "a page's action failed");
            message(
                "Something went wrong",
                "We could not do that just now. Please try again in a few minutes.",
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
        _ => message(
            "That did not work",
            &error.to_string(),
            StatusCode::BAD_REQUEST,
        ),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    pub token: String,
}

/// `GET /enquiries/confirm?token=…`
#[handler]
pub async fn enquiry_confirm_page(Query(query): Query<TokenQuery>) -> Response {
    button_page(
        query.token.as_deref(),
        "Confirm your partnership enquiry",
        "Press the button to send your enquiry to our team.",
        "Send my enquiry",
    )
}

#[handler]
pub async fn confirm_enquiry(
    Data(state): Data<&AppState>,
    Form(form): Form<TokenForm>,
) -> Response {
    match crate::enquiries::confirm(state, &form.token).await {
        Ok(_) => message(
            "Thank you",
            "Your enquiry is with our team now; we will be in touch.",
            StatusCode::OK,
        ),
        Err(error) => refusal(&error),
    }
}

/// `GET /principles/confirm?token=…`
#[handler]
pub async fn signature_confirm_page(Query(query): Query<TokenQuery>) -> Response {
    button_page(
        query.token.as_deref(),
        "Confirm your signature of the Early Action principles",
        "Press the button to confirm your organisation's signature. Our team then looks at it \
         and writes to you.",
        "Confirm our signature",
    )
}

#[handler]
pub async fn confirm_signature(
    Data(state): Data<&AppState>,
    Form(form): Form<TokenForm>,
) -> Response {
    match crate::principles::confirm(state, &form.token).await {
        Ok(_) => message(
            "Thank you",
            "Your signature is with our team now; we will write to you once it is approved.",
            StatusCode::OK,
        ),
        Err(error) => refusal(&error),
    }
}

#[derive(Template)]
#[template(path = "signature_manage.html")]
struct SignatureManage<'a> {
    organisation: &'a str,
    standing: &'a str,
    approved: bool,
    listed: bool,
    token: &'a str,
    base: &'a str,
}

/// The signatory whose manage link `token` is, or the page that says it is not valid.
async fn managed_signatory(
    state: &AppState,
    token: Option<&str>,
) -> Result<entities::signatory::Model, Response> {
    let Some(token) = token.filter(|token| !token.is_empty()) else {
        return Err(missing_token());
    };
    match crate::principles::by_manage_token(state, token).await {
        Ok(Some(row)) => Ok(row),
        Ok(None) => Err(message(
            "Link not valid",
            "This link is not valid any more. Ask us for a new one.",
            StatusCode::BAD_REQUEST,
        )),
        Err(error) => Err(refusal(&error)),
    }
}

/// `GET /principles/manage?token=…`: the signature's standing, and buttons to change the
/// listing or withdraw.
#[handler]
pub async fn signature_manage_page(
    Data(state): Data<&AppState>,
    Query(query): Query<TokenQuery>,
) -> Response {
    let row = match managed_signatory(state, query.token.as_deref()).await {
        Ok(row) => row,
        Err(page) => return page,
    };
    let standing = crate::principles::standing(&row);
    render(
        &SignatureManage {
            organisation: &row.organisation_name,
            standing: &standing,
            approved: row.status == entities::enums::SignatoryStatus::Approved,
            listed: row.list_publicly,
            token: query.token.as_deref().unwrap_or_default(),
            base: "/principles/manage",
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct ListingForm {
    token: String,
    listed: bool,
}

#[handler]
pub async fn change_signature_listing(
    Data(state): Data<&AppState>,
    Form(form): Form<ListingForm>,
) -> Response {
    let row = match managed_signatory(state, Some(&form.token)).await {
        Ok(row) => row,
        Err(page) => return page,
    };
    let changes = crate::principles::ListingChanges {
        list_publicly: Some(form.listed),
        website: None,
        town: None,
    };
    match crate::principles::update_listing(state, None, row.id, Some(&form.token), changes).await {
        Ok(row) if row.list_publicly => message(
            "You are listed",
            "Your organisation now appears on the public list of signatories.",
            StatusCode::OK,
        ),
        Ok(_) => message(
            "You are not listed",
            "Your organisation no longer appears on the public list of signatories.",
            StatusCode::OK,
        ),
        Err(error) => refusal(&error),
    }
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    token: String,
    reason: Option<String>,
}

#[handler]
pub async fn withdraw_signature(
    Data(state): Data<&AppState>,
    Form(form): Form<WithdrawForm>,
) -> Response {
    let row = match managed_signatory(state, Some(&form.token)).await {
        Ok(row) => row,
        Err(page) => return page,
    };
    let withdrawn = match input::optional_text(
        "reason",
        form.reason.as_deref(),
        crate::principles::MAX_REASON_LEN,
    ) {
        Ok(reason) => {
            crate::principles::withdraw(state, None, row.id, Some(&form.token), reason).await
        }
        Err(error) => Err(error),
    };
    match withdrawn {
        Ok(_) => message(
            "Your signature is withdrawn",
            "Your organisation is off the public list. You are welcome to sign again at any time.",
            StatusCode::OK,
        ),
        Err(error) => refusal(&error),
    }
}
