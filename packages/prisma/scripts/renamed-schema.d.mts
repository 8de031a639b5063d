export function renameTable(table: string): string;
export function renameColumn(column: string): string;
export function renameSchema(models: string): string;
export function renameSql(sql: string, models: string): string;
