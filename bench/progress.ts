/**
 * A progress bar on stderr. On a terminal it redraws one line; elsewhere (CI logs) it prints a line
 * at every tenth of the way, so a log shows the bench is alive without thousands of lines.
 */
export class ProgressBar {
  private done = 0;
  private label = "";
  private lastDecile = -1;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private total: number) {}

  /** More work discovered (or planned) after the bar was made. */
  grow(units: number): void {
    this.total += units;
    this.draw();
  }

  phase(label: string): void {
    this.label = label;
    this.draw();
  }

  tick(units = 1): void {
    this.done = Math.min(this.total, this.done + units);
    this.draw();
  }

  finish(): void {
    this.done = this.total;
    this.draw();
    if (this.tty) process.stderr.write("\n");
  }

  private draw(): void {
    const fraction = this.total > 0 ? this.done / this.total : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${this.label}`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 100) - 1)}`);
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile !== this.lastDecile) {
      this.lastDecile = decile;
      process.stderr.write(`${line}\n`);
    }
  }
}
