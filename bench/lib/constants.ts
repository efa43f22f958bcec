/** The password every seeded bench user has (one real Argon2id hash, computed once). */
export const BENCH_PASSWORD = 'bench password 1';
