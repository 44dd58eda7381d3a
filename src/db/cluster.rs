//! The throwaway cluster: initdb + postgres in a temp dir on a private Unix socket,
//! stopped and deleted on drop. Must not apply migrations or seed.
