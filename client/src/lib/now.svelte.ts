/** One clock for every relative time on screen, ticking once a second while anything reads it. */
let now = $state(Date.now());
let timer: ReturnType<typeof setInterval> | null = null;

export const clock = {
  get now(): number {
    if (timer === null && typeof window !== 'undefined') {
      timer = setInterval(() => (now = Date.now()), 1000);
    }
    return now;
  },
};
