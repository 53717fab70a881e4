import{h as a,i as b,k as c,n as d}from"./shared-QXQWXMEJ.js";export{d as ImagePoolElement,a as ImagePoolGridElement,b as PoolApiError,c as PoolClient};
