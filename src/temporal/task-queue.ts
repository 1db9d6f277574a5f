/** The task queue every specbias worker polls; its own module so a submitter need not load the worker. */
export const TASK_QUEUE = 'specbias';
