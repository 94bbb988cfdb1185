//! Container networking: the user-mode stacks (slirp4netns, pasta), port publishing, user-defined
//! networks, and the files a container's resolver reads (/etc/hosts, /etc/resolv.conf).

pub mod holder;
pub mod netlink;
pub mod spec;
pub mod store;
