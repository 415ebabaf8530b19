// The part of gstreamer-superficial 1.7.4 the pipeline host uses (the package ships no types).
declare module 'gstreamer-superficial' {
  export interface BusMessage {
    type: string;
    _src_element_name: string;
    /** Set on errors: the element path and the error text. */
    name?: string;
    message?: string;
    [field: string]: unknown;
  }
  /** GObject properties by name; 64-bit integers and structures read back as strings. */
  export type GstElement = Record<string, unknown>;
  /**
   * An appsink as the binding gives it: pull() waits (on a libuv worker) for
   * the next sample and calls back with its bytes and its caps' first
   * structure as an object, or null bytes at EOS or when the pipeline stops.
   */
  export interface AppSink {
    pull(callback: (buf: Buffer | null, caps: Record<string, unknown>) => void): void;
  }
  export class Pipeline {
    constructor(launch: string);
    play(): void;
    pause(): void;
    stop(): void;
    sendEOS(): void;
    findChild(name: string): GstElement | undefined;
    pollBus(callback: (msg: BusMessage) => void): void;
    /** Sets a pad-typed property (input-selector active-pad) to the element's pad of that name. */
    setPad(element: string, property: string, padName: string): void;
  }
  const gstreamer: { Pipeline: typeof Pipeline };
  export default gstreamer;
}
