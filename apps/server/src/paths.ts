/** Where the Aitronos API is served: every path of its spec starts here. */
export const API_PATH = '/v1/personal-connectors';
/** The credential registry's collection; a credential's own path is `${CREDENTIALS_PATH}/{credential_id}`. */
export const CREDENTIALS_PATH = `${API_PATH}/admin/credentials`;
