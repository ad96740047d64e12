//! Integration tests: the real server, over HTTP and websocket, on SQLite and (when
//! TEST_DATABASE_URL is set) PostgreSQL.

mod audit;
mod auth;
mod browser;
mod campaigns;
mod cli;
mod config;
mod delivery;
mod feeds;
mod http;
mod invitations;
mod joint_actions;
mod mailing;
mod pagination;
mod partners;
mod permissions;
mod policy_updates;
mod positions;
mod regions;
mod schema;
mod statements;
mod support_requests;
mod world;
