/** The Vault version the dev server reports (sys/health, seal status, plugin versions), in one place. */
export const DEV_SERVER_VERSION = '1.17.0-leasehold-dev';
