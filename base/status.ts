// EdgeLake's status codes, by name (edge_lake/generic/process_status.py: the numbers and `status_text`). Replies,
// peer messages and `get` tables carry the number; code here names it. Only the codes this node gives are listed;
// add one from that file when a new case needs it, never a bare number.

export const Status = {
  /** SUCCESS: "Success" */
  Success: 0,
  /** ERR_unrecognized_command: "Unrecognized Command" */
  UnrecognizedCommand: 1,
  /** ERR_command_struct: "Error Command Structure" */
  CommandStructure: 2,
  /** ERR_process_failure: "Error Process Failure" */
  ProcessFailure: 3,
  /** ERR_io_error: "Error IO" */
  IoError: 4,
  /** ERR_dbms_name: "Wrong DBMS Name or DBMS not connected" */
  DbmsName: 5,
  /** ERR_wrong_json_structure: "Error in JSON Structure" */
  WrongJsonStructure: 6,
  /** No_reply: "No reply" */
  NoReply: 8,
  /** ERROR_DATA_SIZE_LARGER_THAN_BUFFER: "Data size is larger than buffer" */
  DataSizeLargerThanBuffer: 9,
  /** ERR_dbms_not_opened: "DBMS not open" */
  DbmsNotOpened: 10,
  /** ERR_file_does_not_exists: "File does not exists" */
  FileDoesNotExist: 12,
  /** ERR_network: "Network Error" */
  Network: 15,
  /** ERR_SQL_failure: "SQL Failure" */
  SqlFailure: 16,
  /** Missing_metadata_info: "Missing metadata info on local node" */
  MissingMetadataInfo: 17,
  /** SQL_not_supported: "SQL stmt not supported" */
  SqlNotSupported: 18,
  /** ERR_dest_IP_Ports: "IP and Port of destination servers are not properly provided" */
  DestinationIpPorts: 20,
  /** No_data_with_input_query: "Query that inputs a target query returned with no data" */
  NoDataWithInputQuery: 25,
  /** TIMEOUT: "Time Out" */
  Timeout: 26,
  /** BLOCKCHAIN_operation_failed: "Blockchain operation failed" */
  BlockchainOperationFailed: 30,
  /** ERR_place_data_in_watch_dir: "Failed to place new data in watch directory" */
  PlaceDataInWatchDir: 31,
  /** Missing_configuration: "Missing configuration" */
  MissingConfiguration: 33,
  /** File_move_failed: "File move process failed" */
  FileMoveFailed: 44,
  /** No_local_blockchain_file: "No local blockchain file" */
  NoLocalBlockchainFile: 58,
  /** Empty_Local_blockchain_file: "Empty local blockchain file" */
  EmptyLocalBlockchainFile: 59,
  /** Missing_file_name: "Missing file name" */
  MissingFileName: 64,
  /** Failed_to_analyze_json: "Failed to analyze JSON file" */
  FailedToAnalyzeJson: 67,
  /** Wrong_blockchain_struct: "Wrong blockchain structure" */
  WrongBlockchainStructure: 69,
  /** Duplicate_object_id: "Duplicate blockchain object id" */
  DuplicateObjectId: 70,
  /** Wrong_policy_structure: "Wrong policy structure" */
  WrongPolicyStructure: 87,
  /** Wrong_username_passwd: "Wrong username or password" */
  WrongUsernamePassword: 88,
  /** Missing_password: "Missing password" */
  MissingPassword: 91,
  /** Wrong_password: "Wrong password" */
  WrongPassword: 93,
  /** Missing_public_key: "Public key is missing" */
  MissingPublicKey: 95,
  /** Failed_message_authentication: "Failed to authenticate message" */
  FailedMessageAuthentication: 97,
  /** Failed_message_sign: "Failed to sign a message or wrong password" */
  FailedMessageSign: 98,
  /** Wrong_dbms_key_in_delete: "DBMS error: delete row failed - wrong key" */
  WrongDbmsKeyInDelete: 101,
  /** User_name_exists: "A user with the provided name exists" */
  UserNameExists: 102,
  /** Missing_script: "Missing script file" */
  MissingScript: 112,
  /** Needed_policy_not_available: "Needed Policy is not available" */
  NeededPolicyNotAvailable: 113,
  /** Missing_parent_policy: "Missing parent policy" */
  MissingParentPolicy: 118,
  /** Error_file_name_struct: "Error with file name structure" */
  FileNameStructure: 119,
  /** MQTT_info_err: "Error with info provided to MQTT" */
  MqttInfo: 124,
  /** MQTT_wrong_client_id: "MQTT: Wrong client ID" */
  MqttWrongClientId: 128,
  /** ERR_in_select_stmt: "Error in SQL Select statement" */
  SelectStatement: 134,
  /** TCP_not_running: "TCP server not running" */
  TcpNotRunning: 135,
  /** Process_already_running: "Process already active" */
  ProcessAlreadyRunning: 136,
  /** Failed_to_generate_keys: "Failed to generate keys" */
  FailedToGenerateKeys: 137,
  /** user_auth_disabled: "User authentication disabled" */
  UserAuthenticationDisabled: 139,
  /** Not_in_commands_dict: "Unrecognized Command" */
  NotInCommandsDict: 141,
  /** Private_key_not_available: "Private key not available" */
  PrivateKeyNotAvailable: 142,
  /** Authentication_failed: "Authentication failed" */
  AuthenticationFailed: 145,
  /** Wrong_http_metod: "Wrong HTTP method used" */
  WrongHttpMethod: 156,
  /** Err_output_format: "Wrong output format" */
  OutputFormat: 161,
  /** Unknown_user_agent: "Unknown user agent" */
  UnknownUserAgent: 163,
  /** Missing_id_in_policy: "Missing ID in policy" */
  MissingIdInPolicy: 170,
  /** Operator_not_allowed_with_table: "Operator not allowed to declare table" */
  OperatorNotAllowedWithTable: 171,
  /** No_cluster_assigned: "No cluster assigned to operator" */
  NoClusterAssigned: 174,
  /** Wrong_key_value: "Wrong value assigned to a key" */
  WrongKeyValue: 175,
  /** Non_unique_policy_values: "Non unique policy values" */
  NonUniquePolicyValues: 180,
  /** Error_timeout_val: "Error timeout value" */
  TimeoutValue: 182,
  /** No_dbms_engine_support: "Command not supported by DBMS Engine" */
  NoDbmsEngineSupport: 190,
  /** Decoding_failed: "Decoding Failed" */
  DecodingFailed: 200,
  /** Operator_not_available: "Operator not available" */
  OperatorNotAvailable: 203,
  /** Missing_authorization: "Missing policy authorization" */
  MissingAuthorization: 210,
  /** Unauthorized_command: "Unauthorized command" */
  UnauthorizedCommand: 212,
  /** Non_unique_policy: "Non unique policy" */
  NonUniquePolicy: 215,
  /** Wrong_port_value: "Wrong port value" */
  WrongPortValue: 221,
  /** Missing_cluster_policy: "Missing cluster policy" */
  MissingClusterPolicy: 222,
  /** Data_type_not_supported: "Data type not supported" */
  DataTypeNotSupported: 188,
  /** NOT_SUPPORTED: "Not Supported in this Version" */
  NotSupported: 237,
  /** ERR_json_search_key: "Error in JSON search key" */
  JsonSearchKey: 240,
  /** Failed_to_identify_app_data: "Failed to identify application data" */
  FailedToIdentifyAppData: 299,
} as const;

export type StatusName = keyof typeof Status;
export type StatusCode = (typeof Status)[StatusName];

const TEXT: Partial<Record<number, string>> = {
  0: 'Success',
  1: 'Unrecognized Command',
  2: 'Error Command Structure',
  3: 'Error Process Failure',
  4: 'Error IO',
  5: 'Wrong DBMS Name or DBMS not connected',
  6: 'Error in JSON Structure',
  8: 'No reply',
  9: 'Data size is larger than buffer',
  10: 'DBMS not open',
  12: 'File does not exists',
  15: 'Network Error',
  16: 'SQL Failure',
  17: 'Missing metadata info on local node',
  18: 'SQL stmt not supported',
  20: 'IP and Port of destination servers are not properly provided',
  25: 'Query that inputs a target query returned with no data',
  26: 'Time Out',
  30: 'Blockchain operation failed',
  31: 'Failed to place new data in watch directory',
  33: 'Missing configuration',
  44: 'File move process failed',
  58: 'No local blockchain file',
  59: 'Empty local blockchain file',
  64: 'Missing file name',
  67: 'Failed to analyze JSON file',
  69: 'Wrong blockchain structure',
  70: 'Duplicate blockchain object id',
  87: 'Wrong policy structure',
  88: 'Wrong username or password',
  91: 'Missing password',
  93: 'Wrong password',
  95: 'Public key is missing',
  97: 'Failed to authenticate message',
  98: 'Failed to sign a message or wrong password',
  101: 'DBMS error: delete row failed - wrong key',
  102: 'A user with the provided name exists',
  112: 'Missing script file',
  113: 'Needed Policy is not available',
  118: 'Missing parent policy',
  119: 'Error with file name structure',
  124: 'Error with info provided to MQTT',
  128: 'MQTT: Wrong client ID',
  134: 'Error in SQL Select statement',
  135: 'TCP server not running',
  136: 'Process already active',
  137: 'Failed to generate keys',
  139: 'User authentication disabled',
  141: 'Unrecognized Command',
  142: 'Private key not available',
  145: 'Authentication failed',
  156: 'Wrong HTTP method used',
  161: 'Wrong output format',
  163: 'Unknown user agent',
  170: 'Missing ID in policy',
  171: 'Operator not allowed to declare table',
  174: 'No cluster assigned to operator',
  175: 'Wrong value assigned to a key',
  180: 'Non unique policy values',
  182: 'Error timeout value',
  190: 'Command not supported by DBMS Engine',
  200: 'Decoding Failed',
  203: 'Operator not available',
  210: 'Missing policy authorization',
  212: 'Unauthorized command',
  215: 'Non unique policy',
  221: 'Wrong port value',
  222: 'Missing cluster policy',
  188: 'Data type not supported',
  237: 'Not Supported in this Version',
  240: 'Error in JSON search key',
  299: 'Failed to identify application data',
};

/** EdgeLake's text for a status code, as its replies print it (`Error Command Structure`). */
export function statusText(code: number): string {
  return TEXT[code] ?? `Error ${code}`;
}
