//! Writing the emails of one batch. Everything they draw on (subscribers, updates and
//! suppressions) is read for the whole batch in three queries, so writing a message costs no
//! query of its own.

use std::collections::{HashMap, HashSet};

use entities::{enums::MailKind, outbox, policy_update, subscriber, suppression};
use lettre::{
    Message,
    message::{
        Attachment, MessageBuilder, MultiPart, SinglePart,
        header::{ContentType, Header, HeaderName, HeaderValue},
    },
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::tokens::Purpose;
use crate::{
    graphql::error::{ApiError, ApiResult},
    state::AppState,
};

/// What the messages of one batch are written from.
pub struct Sources {
    subscribers: HashMap<i64, subscriber::Model>,
    updates: HashMap<i64, policy_update::Model>,
    /// Suppression hashes of recipients without a subscription (partner members).
    suppressed: HashSet<String>,
}

impl Sources {
    pub async fn load(state: &AppState, rows: &[outbox::Model]) -> ApiResult<Self> {
        let subscriber_ids: HashSet<i64> =
            rows.iter().filter_map(|row| row.subscriber_id).collect();
        let update_ids: HashSet<i64> = rows.iter().filter_map(|row| row.update_id).collect();
        let hashes: HashSet<String> = rows
            .iter()
            .filter(|row| row.subscriber_id.is_none() && row.kind == MailKind::Update)
            .map(|row| super::suppression_hash(&row.recipient))
            .collect();
        let subscribers = subscriber::Entity::find()
            .filter(subscriber::Column::Id.is_in(subscriber_ids))
            .all(&state.db)
            .await?;
        let updates = policy_update::Entity::find()
            .filter(policy_update::Column::Id.is_in(update_ids))
            .all(&state.db)
            .await?;
        let suppressed = suppression::Entity::find()
            .filter(suppression::Column::EmailHash.is_in(hashes))
            .all(&state.db)
            .await?;
        Ok(Self {
            subscribers: subscribers.into_iter().map(|row| (row.id, row)).collect(),
            updates: updates.into_iter().map(|row| (row.id, row)).collect(),
            suppressed: suppressed.into_iter().map(|row| row.email_hash).collect(),
        })
    }

    /// The message for a row (or a digest's rows); `None` when what it was about is gone.
    pub fn compose(&self, state: &AppState, rows: &[outbox::Model]) -> ApiResult<Option<Message>> {
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let builder = Message::builder()
            .from(state.config.mail_from.parse().map_err(mail_error)?)
            .to(first.recipient.parse().map_err(mail_error)?)
            .message_id(Some(format!("<outbox-{}@{}>", first.id, host(state))));
        match first.subscriber_id {
            None => self.to_account(state, builder, first),
            Some(id) => match self.subscribers.get(&id) {
                Some(subscriber) => self.to_subscriber(state, builder, subscriber, rows),
                None => Ok(None),
            },
        }
    }

    /// Invitations and partners-only updates, to people with accounts.
    fn to_account(
        &self,
        state: &AppState,
        builder: MessageBuilder,
        row: &outbox::Model,
    ) -> ApiResult<Option<Message>> {
        let body = match row.update_id {
            None => row.body.clone(),
            Some(_)
                if self
                    .suppressed
                    .contains(&super::suppression_hash(&row.recipient)) =>
            {
                return Ok(None);
            }
            Some(update_id) => match self.update_text(state, update_id) {
                Some(text) => text,
                None => return Ok(None),
            },
        };
        let builder = builder.subject(&row.subject);
        let message = match &row.calendar {
            None => builder.header(ContentType::TEXT_PLAIN).body(body),
            Some(calendar) => builder.multipart(with_calendar(body, calendar)?),
        };
        Ok(Some(message.map_err(mail_error)?))
    }

    /// Mailing-list email: every one but the confirmation request carries the links to
    /// change or leave the subscription, and the one-click unsubscribe headers.
    fn to_subscriber(
        &self,
        state: &AppState,
        builder: MessageBuilder,
        subscriber: &subscriber::Model,
        rows: &[outbox::Model],
    ) -> ApiResult<Option<Message>> {
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        if first.kind == MailKind::Confirmation {
            let confirm = super::link_token(state, subscriber, Purpose::Confirm);
            let link = state
                .config
                .link("/subscriptions/confirm", &[("token", &confirm)]);
            let text = format!(
                "Someone (we hope you) asked to subscribe this address to our policy updates.\n\n\
                 To confirm, open this link and press the button:\n{link}\n\n\
                 If it was not you, ignore this email: nothing more will be sent."
            );
            return Ok(Some(
                builder
                    .subject(&first.subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(text)
                    .map_err(mail_error)?,
            ));
        }
        let (subject, text) = match first.kind {
            MailKind::Notice if !first.body.is_empty() => {
                (first.subject.clone(), first.body.clone())
            }
            MailKind::Notice => (
                first.subject.clone(),
                "This address is already subscribed to our policy updates.".to_owned(),
            ),
            MailKind::Digest => self.digest(state, rows),
            _ => match first.update_id.and_then(|id| self.update_text(state, id)) {
                Some(text) => (first.subject.clone(), text),
                None => return Ok(None),
            },
        };
        let manage = super::link_token(state, subscriber, Purpose::Manage);
        let unsubscribe = state
            .config
            .link("/subscriptions/unsubscribe", &[("token", &manage)]);
        let preferences = state
            .config
            .link("/subscriptions/preferences", &[("token", &manage)]);
        let footer =
            format!("\n\n--\nChange what you receive: {preferences}\nUnsubscribe: {unsubscribe}\n");
        Ok(Some(
            builder
                .subject(subject)
                .header(ListUnsubscribe(format!("<{unsubscribe}>")))
                .header(ListUnsubscribePost)
                .header(ContentType::TEXT_PLAIN)
                .body(format!("{text}{footer}"))
                .map_err(mail_error)?,
        ))
    }

    fn digest(&self, state: &AppState, rows: &[outbox::Model]) -> (String, String) {
        let parts: Vec<String> = rows
            .iter()
            .filter_map(|row| self.update_text(state, row.update_id?))
            .collect();
        let subject = format!("Your policy updates digest ({} new)", parts.len());
        (subject, parts.join("\n\n----\n\n"))
    }

    fn update_text(&self, state: &AppState, update_id: i64) -> Option<String> {
        let update = self.updates.get(&update_id)?;
        let link = state.config.link(&format!("/updates/{}", update.id), &[]);
        Some(format!(
            "{}\n\n{}\n\n{}\n\nRead it online: {link}",
            update.title, update.summary, update.body
        ))
    }
}

/// The RFC 8058 one-click unsubscribe headers.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(value: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(value.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

fn host(state: &AppState) -> String {
    state
        .config
        .public_url
        .host_str()
        .unwrap_or("localhost")
        .to_owned()
}

fn mail_error(error: impl std::fmt::Display) -> ApiError {
    ApiError::internal(anyhow::anyhow!("could not write an email: {error}"))
}

/// The text, with the calendar entry attached as an `.ics` file whose content type names its
/// method, so calendar apps offer to add, update or remove the entry.
fn with_calendar(text: String, calendar: &str) -> ApiResult<MultiPart> {
    // The calendar's own METHOD line, not text that happens to contain the words.
    let method = if calendar.contains("\r\nMETHOD:CANCEL\r\n") {
        "CANCEL"
    } else {
        "REQUEST"
    };
    let calendar_type =
        ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
            .map_err(mail_error)?;
    Ok(MultiPart::mixed()
        .singlepart(SinglePart::plain(text))
        .singlepart(
            Attachment::new("invite.ics".to_owned()).body(calendar.to_owned(), calendar_type),
        ))
}
