// A console error in words, with a way back.
import { Layout, type PageFrame } from './layout';

export function ErrorPage(props: { frame: PageFrame; status: number; message: string }) {
  return (
    <Layout frame={props.frame} title={`Error ${props.status}`}>
      <h1>{props.status === 404 ? 'Not found' : 'Something went wrong'}</h1>
      <p role="alert">{props.message}</p>
      <p>
        <a href="/">Back to the handoffs</a>
      </p>
    </Layout>
  );
}
