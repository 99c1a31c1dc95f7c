// Placeholder until @leasehold/testing's shared Postgres lands (helper is writing it).
export default function setup(): void {}
