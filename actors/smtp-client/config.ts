// `run smtp client where host, port, email, password, ssl` (EdgeLake generic/utils_output.py L97-101;
// host defaults to smtp.gmail.com). The password is a secret: never shown by `get` commands or logs.
import { bool, port, required, schema, str, type Infer } from '../../runtime/config/schema.js';

const shape = {
  host: str('smtp.gmail.com'),
  port: port(),
  email: required(str()),
  password: required(str(undefined, { secret: true })),
  ssl: bool(false),
};
export const smtpClientSchema = schema('smtp client', shape);
export type SmtpClientConfig = Infer<typeof shape>;
