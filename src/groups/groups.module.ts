import { Module } from '@nestjs/common';
import { BudgetsModule } from '../budgets/budgets.module';
import { GroupsController } from './groups.controller';
import { GroupsService } from './groups.service';

@Module({ imports: [BudgetsModule], controllers: [GroupsController], providers: [GroupsService], exports: [GroupsService] })
export class GroupsModule {}
