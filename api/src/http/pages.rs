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
    input::{self, Password},
    state::AppState,
};

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
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
#[template(path = "subscription_action.html")]
struct ConfirmPage<'a> {
    title: &'a str,
    text: &'a str,
    token: &'a str,
    button: &'a str,
}

/// `GET /enquiries/confirm?token=…`: a button that sends the enquiry to staff (a POST, so mail
/// scanners that open links confirm nothing).
#[handler]
pub async fn enquiry_confirm_page(Query(query): Query<TokenQuery>) -> Response {
    match query.token.as_deref() {
        Some(token) if !token.is_empty() => render(
            &ConfirmPage {
                title: "Confirm your partnership enquiry",
                text: "Press the button to send your enquiry to our team.",
                token,
                button: "Send my enquiry",
            },
            StatusCode::OK,
        ),
        _ => message(
            "Link incomplete",
            "This link has no token in it. Open the link from your email again.",
            StatusCode::BAD_REQUEST,
        ),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    token: String,
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
        Err(error) => message(
            "That did not work",
            &error.to_string(),
            StatusCode::BAD_REQUEST,
        ),
    }
}
