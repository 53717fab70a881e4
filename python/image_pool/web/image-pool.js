import{h as a,i as b,j as c,m as d}from"./shared-MND2BNJL.js";export{d as ImagePoolElement,a as ImagePoolGridElement,b as PoolApiError,c as PoolClient};
