/** The page's entry point: `?server=http://localhost:8080&league=9152`. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Scoreboard } from './Scoreboard.js';

const params = new URLSearchParams(location.search);
const server = (params.get('server') ?? 'http://localhost:8080').replace(/\/+$/, '');
const league = params.get('league');
const root = document.getElementById('root');
if (root === null) throw new Error('no #root element in the page');

createRoot(root).render(
  <StrictMode>
    <Scoreboard url={`${server.replace(/^http/, 'ws')}/ws`} {...(league ? { leagueId: league } : {})} />
  </StrictMode>,
);
