/** Wire shapes of the exec endpoints (inline in the swagger; field names verbatim). */

/** The body of `POST /containers/{id}/exec`. */
export interface ExecCreateRequest {
  Cmd: string[];
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  /** `[height, width]` (API ≥ 1.42). */
  ConsoleSize?: [number, number] | null;
  DetachKeys?: string;
  Tty?: boolean;
  Env?: string[];
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

/** The body of `POST /exec/{id}/start`. `Tty` must equal the create body's. */
export interface ExecStartRequest {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
}

/** `GET /exec/{id}/json` */
export interface ExecInspectResponse {
  ID: string;
  /** podman 4.3 keeps a detached exec `Running` after its process ended. */
  Running: boolean;
  /**
   * `null` until the process has ended (dockerd). podman says `0` before
   * the start and while running: read it only once `Running` is false.
   */
  ExitCode: number | null;
  ContainerID: string;
  Pid?: number;
  CanRemove?: boolean;
  DetachKeys?: string;
  OpenStdin?: boolean;
  OpenStderr?: boolean;
  OpenStdout?: boolean;
  ProcessConfig?: {
    privileged?: boolean;
    user?: string;
    tty?: boolean;
    entrypoint?: string;
    arguments?: string[];
  };
}
