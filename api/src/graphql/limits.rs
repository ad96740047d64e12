//! Limits on the size of a GraphQL document, checked before anything else looks at it.
//!
//! async-graphql's own depth and complexity checks, and its execution, walk every fragment
//! spread anew: a document of a few hundred bytes whose fragments each spread the previous one
//! twice expands to 2^k fields and takes the server down. So a document is first measured
//! here, once: its tokens, aliases and fragments are counted, and the size each operation
//! expands to is computed with each fragment's size worked out once (memoised over the
//! fragment graph). Too large, and it is refused before validation or execution.

use std::collections::{HashMap, HashSet};

use async_graphql::{
    Request, ServerError, ServerResult,
    parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet},
};

/// Lexical tokens in one document (names, punctuation, values).
pub const MAX_TOKENS: usize = 10_000;
/// Aliased fields in one document.
pub const MAX_ALIASES: usize = 100;
/// Fragment definitions in one document.
pub const MAX_FRAGMENTS: usize = 100;
/// Fields an operation may select once its fragments are expanded.
pub const MAX_EXPANDED_FIELDS: usize = 2_000;
/// Fields whose resolvers hash a password: at most one of them per request.
pub const PASSWORD_FIELDS: [&str; 3] = ["login", "acceptInvitation", "changePassword"];

/// Measures a document before it is validated or run; parses it once and keeps the parse in
/// the request, so nothing parses it again.
pub fn measure(request: &mut Request) -> ServerResult<()> {
    if count_tokens(&request.query, MAX_TOKENS) > MAX_TOKENS {
        return Err(too_large(format!(
            "the query has more than {MAX_TOKENS} tokens"
        )));
    }
    let document = request.parsed_query().map_err(syntax_error)?;
    check(document)
}

/// A refusal for a document over a limit, labelled like the other validation failures.
fn too_large(message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", "GRAPHQL_VALIDATION_FAILED");
    error
}

/// The parser's error, without the excerpt of the query it quotes.
pub fn syntax_error(error: ServerError) -> ServerError {
    let (code, message) = if error.message.contains("recursion limit") {
        (
            "GRAPHQL_VALIDATION_FAILED",
            "the query nests too deeply".to_owned(),
        )
    } else {
        let expected = error
            .message
            .lines()
            .filter_map(|line| line.trim().strip_prefix("= "))
            .next_back()
            .map(str::to_owned);
        let message = match expected {
            Some(expected) => format!("the query is not valid GraphQL: {expected}"),
            None => "the query is not valid GraphQL".to_owned(),
        };
        ("GRAPHQL_PARSE_FAILED", message)
    };
    let mut short = ServerError::new(message, None);
    short.locations = error.locations;
    short
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    short
}

/// Refuses a document over any limit.
fn check(document: &ExecutableDocument) -> ServerResult<()> {
    if document.fragments.len() > MAX_FRAGMENTS {
        return Err(too_large(format!(
            "the query defines more than {MAX_FRAGMENTS} fragments"
        )));
    }
    let aliases: usize = document
        .operations
        .iter()
        .map(|(_, operation)| count_aliases(&operation.node.selection_set.node))
        .chain(
            document
                .fragments
                .values()
                .map(|fragment| count_aliases(&fragment.node.selection_set.node)),
        )
        .sum();
    if aliases > MAX_ALIASES {
        return Err(too_large(format!(
            "the query uses more than {MAX_ALIASES} aliases"
        )));
    }
    let mut sizes = Sizes::new(document);
    for (_, operation) in document.operations.iter() {
        let selection = &operation.node.selection_set.node;
        if sizes.expanded(selection)? > MAX_EXPANDED_FIELDS {
            return Err(too_large(format!(
                "the query selects more than {MAX_EXPANDED_FIELDS} fields once its fragments \
                 are expanded"
            )));
        }
        if operation.node.ty == OperationType::Mutation && sizes.password_fields(selection)? > 1 {
            return Err(too_large(format!(
                "a request may run at most one of {} (each checks a password, which is \
                 deliberately slow)",
                PASSWORD_FIELDS.join(", ")
            )));
        }
    }
    Ok(())
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|selection| match &selection.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some())
                    + count_aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(inline) => count_aliases(&inline.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// What a fragment is worth once expanded: the fields it selects in all, and the password
/// fields it selects at its own level.
#[derive(Clone, Copy)]
struct Worth {
    fields: usize,
    password_fields: usize,
}

/// Expanded sizes, each fragment's computed once.
struct Sizes<'a> {
    document: &'a ExecutableDocument,
    known: HashMap<&'a str, Worth>,
    visiting: HashSet<&'a str>,
}

impl<'a> Sizes<'a> {
    fn new(document: &'a ExecutableDocument) -> Self {
        Self {
            document,
            known: HashMap::new(),
            visiting: HashSet::new(),
        }
    }

    fn expanded(&mut self, set: &'a SelectionSet) -> ServerResult<usize> {
        Ok(self.worth(set)?.fields)
    }

    fn password_fields(&mut self, set: &'a SelectionSet) -> ServerResult<usize> {
        Ok(self.worth(set)?.password_fields)
    }

    fn worth(&mut self, set: &'a SelectionSet) -> ServerResult<Worth> {
        let mut total = Worth {
            fields: 0,
            password_fields: 0,
        };
        for selection in &set.items {
            let worth = match &selection.node {
                Selection::Field(field) => {
                    let children = self.worth(&field.node.selection_set.node)?;
                    let name = field.node.name.node.as_str();
                    Worth {
                        fields: children.fields.saturating_add(1),
                        password_fields: usize::from(PASSWORD_FIELDS.contains(&name)),
                    }
                }
                Selection::InlineFragment(inline) => self.worth(&inline.node.selection_set.node)?,
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())?
                }
            };
            total.fields = total.fields.saturating_add(worth.fields);
            total.password_fields = total.password_fields.saturating_add(worth.password_fields);
        }
        Ok(total)
    }

    fn fragment(&mut self, name: &'a str) -> ServerResult<Worth> {
        if let Some(worth) = self.known.get(name) {
            return Ok(*worth);
        }
        let Some((key, fragment)) = self.document.fragments.get_key_value(name) else {
            // An unknown fragment is reported by validation; it adds nothing here.
            return Ok(Worth {
                fields: 0,
                password_fields: 0,
            });
        };
        if !self.visiting.insert(key.as_str()) {
            return Err(too_large(format!(
                "fragment `{name}` spreads itself, directly or through other fragments"
            )));
        }
        let worth = self.worth(&fragment.node.selection_set.node)?;
        self.visiting.remove(key.as_str());
        self.known.insert(key.as_str(), worth);
        Ok(worth)
    }
}

/// Counts the lexical tokens of a document, stopping once past `limit`. Whitespace, commas
/// and comments are not tokens; a string (block strings too) is one.
pub fn count_tokens(text: &str, limit: usize) -> usize {
    let mut chars = text.chars().peekable();
    let mut tokens = 0;
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' | ',' | '\u{feff}' => continue,
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' || c == '\r' {
                        break;
                    }
                }
                continue;
            }
            '"' => skip_string(&mut chars),
            '.' => while chars.next_if_eq(&'.').is_some() {},
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => {
                while chars
                    .next_if(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '-'))
                    .is_some()
                {}
            }
            _ => {}
        }
        tokens += 1;
        if tokens > limit {
            break;
        }
    }
    tokens
}

/// Skips a string whose opening quote was just read: `"…"` or a block string `"""…"""`.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    if chars.next_if_eq(&'"').is_some() {
        if chars.next_if_eq(&'"').is_none() {
            return; // `""`: the empty string
        }
        let mut quotes = 0;
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    quotes += 1;
                    if quotes == 3 {
                        return;
                    }
                }
                '\\' => {
                    quotes = 0;
                    chars.next();
                }
                _ => quotes = 0,
            }
        }
        return;
    }
    while let Some(c) = chars.next() {
        match c {
            '"' | '\n' | '\r' => return,
            '\\' => {
                chars.next();
            }
            _ => {}
        }
    }
}
