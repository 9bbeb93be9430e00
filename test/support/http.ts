/** A response body as JSON; tests assert its shape, so it is loosely typed on purpose. */
// biome-ignore lint/suspicious/noExplicitAny: the assertions that follow are the type check.
export async function readJson(response: Response): Promise<any> {
  return response.json();
}
