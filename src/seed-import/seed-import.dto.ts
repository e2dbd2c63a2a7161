import { createZodDto } from 'nestjs-zod';
import { seedImportResultSchema, seedImportSchema } from './seed-store.schema';

export class SeedImportDto extends createZodDto(seedImportSchema) {}
export class SeedImportResultDto extends createZodDto(seedImportResultSchema) {}
