/** What a probe host id may look like; it becomes a certificate CN and a file name (`probe-<hostid>.crt`). */
export const HOST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
