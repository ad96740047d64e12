//! Integration tests: the real server, over HTTP and websocket, on SQLite and (when
//! TEST_DATABASE_URL is set) PostgreSQL.

mod abuse;
mod audit;
mod auth;
mod browser;
mod campaigns;
mod cli;
mod config;
mod data_protection;
mod delivery;
mod engagement;
mod enquiries;
mod evidence;
mod feeds;
mod http;
mod inputs;
mod invitations;
mod joint_actions;
mod limits;
mod mailing;
mod pagination;
mod partners;
mod permissions;
mod petitions;
mod policy_updates;
mod positions;
mod principles;
mod reads;
mod regions;
mod schema;
mod sockets;
mod spreadsheets;
mod statements;
mod support_requests;
mod training;
mod world;
