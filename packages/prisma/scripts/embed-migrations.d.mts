export function renderMigrationModule(): string;
