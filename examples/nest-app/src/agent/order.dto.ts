/** The payload of /inventory/order, validated by ValidationPipe on the agent. */
import { IsInt, IsString, Length, Max, Min } from 'class-validator';

export class OrderDto {
  @IsString()
  @Length(1, 40)
  item!: string;

  @IsInt()
  @Min(1)
  @Max(100)
  count!: number;
}
